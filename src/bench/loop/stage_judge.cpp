#include "autoswarm/bench/loop/stage_judge.h"
#include "autoswarm/bench/job_dir.h"
#include "autoswarm/util/text.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "autoswarm/llm/client.h"
#include "autoswarm/llm/json_answer.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/utc_time.h"
#include "judge_prompts.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// `text` within `limit` characters: head and tail kept, a marker in between.
std::string bounded(std::string_view text, size_t limit) {
  if (text.empty()) return std::string(prompts::kJudgeEmpty);
  return util::cut_middle(text, limit * 2 / 3, limit - limit * 2 / 3, [](size_t omitted) {
    return util::fill(prompts::kJudgeCutMarker, {{"omitted", std::to_string(omitted)}});
  });
}

// A score as models write it: 0.8, "0.8", "80%"; a number above 1 up to 100 is taken as a
// percentage. nullopt when it is not a number.
std::optional<double> read_score(const json& v) {
  double x = 0;
  bool percent = false;
  if (v.is_number()) {
    x = v.get<double>();
  } else if (v.is_string()) {
    std::string s = v.get<std::string>();
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) return std::nullopt;
    while (*end == ' ') ++end;
    percent = *end == '%';
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(x)) return std::nullopt;
  if (percent || (x > 1.0 && x <= 100.0)) x /= 100.0;
  return std::clamp(x, 0.0, 1.0);
}

std::string two_decimals(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", x);
  return buf;
}

// The system prompt each stage ran with, from the trajectory's system steps (extra.stage).
std::map<std::string, std::string> stage_roles(const TrialDir& trial) {
  std::map<std::string, std::string> roles;
  json trajectory = try_read_job_json(trial.trajectory_file());
  if (!trajectory.is_object() || !trajectory["steps"].is_array()) return roles;
  for (const json& step : trajectory["steps"]) {
    if (util::field_text(step, "source") != "system" || !step.contains("extra")) continue;
    std::string stage = util::field_text(step["extra"], "stage");
    if (!stage.empty() && !roles.contains(stage)) roles[stage] = util::field_text(step, "message");
  }
  return roles;
}

// One trial as the judge needs it.
struct TrialWork {
  TrialStageScores scores;
  std::vector<StageJudgeInput> inputs;  // one per trace entry
  std::atomic<size_t> left{0};
  bool done = false;
};

// The stored scores, when they cover exactly these stages and no call failed.
std::optional<std::vector<StageScore>> reusable_scores(const TrialDir& trial,
                                                       const std::vector<StageJudgeInput>& inputs) {
  json stored = try_read_job_json(trial.stage_scores_file());
  if (!stored.is_object() || !stored["stages"].is_array()) return std::nullopt;
  std::vector<StageScore> scores;
  for (const json& s : stored["stages"]) scores.push_back(StageScore::from_json(s));
  if (scores.size() != inputs.size()) return std::nullopt;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i].stage != inputs[i].stage || scores[i].call_failed) return std::nullopt;
  }
  return scores;
}

void write_scores(const TrialStageScores& t, const std::string& model) {
  json stages = json::array();
  for (const auto& s : t.stages) stages.push_back(s.to_json());
  json out = {{"task_name", t.task_name},
              {"judge_model", model},
              {"judged_at", util::utc_timestamp_ms()},
              {"stages", stages},
              {"aggregate", json::object()}};
  for (const auto& [stage, score] : aggregate_stage_scores({t.stages})) out["aggregate"][stage] = score;
  util::write_file_atomic(TrialDir(t.trial_dir).stage_scores_file(),
                          out.dump(2, ' ', false, json::error_handler_t::replace) + "\n", kJobFileMode);
}

std::unique_ptr<TrialWork> load_trial(const TrialDir& trial) {
  auto work = std::make_unique<TrialWork>();
  work->scores.trial_dir = trial.path();
  json result = try_read_job_json(trial.result_file());
  work->scores.task_name = util::field_text(result, "task_name");
  if (work->scores.task_name.empty()) work->scores.task_name = trial.name();
  if (!fs::exists(trial.stage_traces_file())) return work;
  json traces = try_read_job_json(trial.stage_traces_file());
  if (!traces.is_array()) {
    spdlog::warn("{}: not a list of stage traces; skipping the trial", trial.stage_traces_file().string());
    return work;
  }
  std::string task = try_read_job_file(trial.instruction_file()).value_or("");
  std::map<std::string, std::string> roles = stage_roles(trial);
  for (size_t i = 0; i < traces.size(); ++i) {
    StageJudgeInput in;
    in.task = task;
    in.stage = util::field_text(traces[i], "stage");
    in.role = roles.contains(in.stage) ? roles[in.stage] : "";
    in.input_context = util::field_text(traces[i], "input_context");
    in.output = util::field_text(traces[i], "output");
    // The consumer the run recorded (a retried stage, a synthesis stage, a stage that called this
    // one as a tool; null: final); traces from before it was recorded: the next entry.
    if (traces[i].contains("consumed_by")) {
      if (traces[i]["consumed_by"].is_string()) in.next_stage = traces[i]["consumed_by"].get<std::string>();
    } else if (i + 1 < traces.size()) {
      in.next_stage = util::field_text(traces[i + 1], "stage");
    }
    if (in.next_stage) in.next_role = roles.contains(*in.next_stage) ? roles[*in.next_stage] : "";
    work->inputs.push_back(std::move(in));
  }
  return work;
}

StageScore judge_one(llm::Client& client, const std::string& model, const StageJudgeInput& in,
                     const JudgeBounds& bounds) {
  llm::ChatRequest request = judge_request(in, bounds);
  request.model = model;
  StageScore score;
  try {
    llm::ChatResponse reply = client.chat(request);
    score = parse_judge_answer(reply.content);
  } catch (const std::exception& e) {  // an LLM error; never let one end the other calls
    score.error = std::string("the judge call failed: ") + e.what();
    score.call_failed = true;
  }
  score.stage = in.stage;
  score.next_stage = in.next_stage.value_or("");
  return score;
}

}  // namespace

json StageScore::to_json() const {
  json j = {{"stage", stage},
            {"next_stage", next_stage.empty() ? json(nullptr) : json(next_stage)},
            {"score", score},
            {"missing", missing},
            {"assessment", assessment}};
  if (!error.empty()) j["error"] = error;
  if (call_failed) j["call_failed"] = true;
  return j;
}

StageScore StageScore::from_json(const json& j) {
  StageScore s;
  s.stage = util::field_text(j, "stage");
  s.next_stage = util::field_text(j, "next_stage");
  if (j.is_object() && j.contains("score")) s.score = read_score(j["score"]).value_or(0.0);
  s.missing = util::field_text(j, "missing");
  s.assessment = util::field_text(j, "assessment");
  s.error = util::field_text(j, "error");
  s.call_failed = j.is_object() && j.value("call_failed", false);
  return s;
}

llm::ChatRequest judge_request(const StageJudgeInput& in, const JudgeBounds& b) {
  std::vector<std::pair<std::string_view, std::string>> values = {
      {"task", bounded(in.task, b.task_chars)},
      {"stage", in.stage},
      {"role", in.role.empty() ? "(unknown)" : bounded(in.role, b.role_chars)},
      {"input", bounded(in.input_context, b.input_chars)},
      {"output", bounded(in.output, b.output_chars)},
  };
  std::string user;
  if (in.next_stage) {
    values.push_back({"next_stage", *in.next_stage});
    values.push_back({"next_role", in.next_role.empty() ? "(unknown)" : bounded(in.next_role, b.role_chars)});
    user = util::fill(prompts::kJudgeHandoffUser, values);
  } else {
    user = util::fill(prompts::kJudgeFinalUser, values);
  }
  llm::ChatRequest request;
  request.messages = json::array({{{"role", "system"}, {"content", std::string(prompts::kJudgeSystem)}},
                                  {{"role", "user"}, {"content", user}}});
  request.temperature = 0.0;
  return request;
}

StageScore parse_judge_answer(std::string_view reply) {
  StageScore s;
  llm::JsonAnswer found = llm::find_json_answer(reply, [](const json& v) {
    return v.is_object() && v.contains("score") && read_score(v["score"]).has_value();
  });
  if (!found.value) {
    std::string excerpt(util::utf8_head(reply, 200));
    s.error = "unparsable judge answer (" + (found.error.empty() ? "no JSON object with a numeric score" : found.error) +
              "): " + (excerpt.empty() ? "(empty reply)" : excerpt);
    return s;
  }
  const json& v = *found.value;
  s.score = *read_score(v["score"]);
  s.missing = util::field_text(v, "missing");
  s.assessment = util::field_text(v, "assessment");
  return s;
}

std::string format_stage_scores(const std::vector<std::pair<std::string, double>>& scores) {
  std::string out;
  for (const auto& [stage, score] : scores) out += (out.empty() ? "" : ",") + stage + ":" + two_decimals(score);
  return out;
}

std::vector<std::pair<std::string, double>> aggregate_stage_scores(
    const std::vector<std::vector<StageScore>>& trials) {
  std::vector<std::string> order;
  std::map<std::string, std::pair<double, size_t>> sums;
  for (const auto& trial : trials) {
    for (const auto& s : trial) {
      if (s.call_failed) continue;
      if (!sums.contains(s.stage)) order.push_back(s.stage);
      sums[s.stage].first += s.score;
      sums[s.stage].second += 1;
    }
  }
  std::vector<std::pair<std::string, double>> out;
  for (const auto& stage : order) out.emplace_back(stage, sums[stage].first / static_cast<double>(sums[stage].second));
  return out;
}

std::vector<std::pair<std::string, double>> stored_job_stage_scores(const fs::path& job_dir) {
  std::vector<std::vector<StageScore>> trials;
  for (const TrialDir& trial : JobDir(job_dir).trials()) {
    json stored = try_read_job_json(trial.stage_scores_file());
    if (!stored.is_object() || !stored["stages"].is_array()) continue;
    std::vector<StageScore> scores;
    for (const json& s : stored["stages"]) scores.push_back(StageScore::from_json(s));
    trials.push_back(std::move(scores));
  }
  return aggregate_stage_scores(trials);
}

std::string TrialStageScores::line() const {
  if (stages.empty()) return task_name + " (no stages)";
  std::vector<std::pair<std::string, double>> each;
  for (const auto& s : stages) each.emplace_back(s.stage, s.score);
  std::string out = task_name + " " + format_stage_scores(each);
  if (failed_calls > 0) out += " (" + std::to_string(failed_calls) + " judge calls failed)";
  return out;
}

std::vector<std::pair<std::string, double>> EvalResult::aggregate() const {
  std::vector<std::vector<StageScore>> all;
  for (const auto& t : trials) all.push_back(t.stages);
  return aggregate_stage_scores(all);
}

std::string EvalResult::aggregate_line() const { return "stage_scores: " + format_stage_scores(aggregate()); }

size_t judge_calls_needed(const fs::path& job_dir, bool force) {
  size_t n = 0;
  for (const TrialDir& trial : JobDir(job_dir).trials()) {
    auto work = load_trial(trial);
    if (force || !reusable_scores(trial, work->inputs)) n += work->inputs.size();
  }
  return n;
}

EvalResult evaluate_job(const fs::path& job_dir, const EvalOptions& options,
                        const std::function<void(const TrialStageScores&)>& on_trial) {
  if (!fs::is_directory(job_dir)) {
    throw FileError("no job directory at " + job_dir.string() +
                    ": pass the job directory `bench run` printed (job=…), or run `autoswarm bench "
                    "run` first");
  }
  std::vector<TrialDir> dirs = JobDir(job_dir).trials();
  if (dirs.empty()) {
    throw FileError(job_dir.string() + " holds no trials (no <task>/result.json): is it a job "
                    "directory written by `autoswarm bench run`?");
  }

  std::vector<std::unique_ptr<TrialWork>> trials;
  std::vector<std::pair<size_t, size_t>> calls;  // (trial, stage) still to judge
  for (const TrialDir& trial : dirs) {
    auto work = load_trial(trial);
    size_t index = trials.size();
    auto stored = options.force ? std::nullopt : reusable_scores(trial, work->inputs);
    if (stored) {
      work->scores.stages = std::move(*stored);
      work->scores.reused = true;
      work->done = true;
    } else if (work->inputs.empty()) {
      work->done = true;
    } else {
      work->scores.stages.resize(work->inputs.size());
      work->left = work->inputs.size();
      for (size_t s = 0; s < work->inputs.size(); ++s) calls.emplace_back(index, s);
    }
    trials.push_back(std::move(work));
  }
  if (!calls.empty() && options.client == nullptr) throw Error("bench eval: no LLM client for the judge");

  std::mutex mutex;  // guards `done`, `next_report` and the callback
  size_t next_report = 0;
  auto report_ready = [&] {  // with `mutex` held: every finished trial not yet reported, in order
    while (next_report < trials.size() && trials[next_report]->done) {
      if (on_trial) on_trial(trials[next_report]->scores);
      ++next_report;
    }
  };
  {
    std::lock_guard lock(mutex);
    report_ready();
  }

  std::atomic<size_t> next_call{0};
  auto worker = [&] {
    for (size_t c = next_call++; c < calls.size(); c = next_call++) {
      auto [t, s] = calls[c];
      TrialWork& work = *trials[t];
      work.scores.stages[s] = judge_one(*options.client, options.model, work.inputs[s], options.bounds);
      if (--work.left > 0) continue;
      for (const auto& score : work.scores.stages) work.scores.failed_calls += score.call_failed ? 1 : 0;
      try {
        write_scores(work.scores, options.model);
      } catch (const Error& e) {
        spdlog::error("{}", e.what());
      }
      std::lock_guard lock(mutex);
      work.done = true;
      report_ready();
    }
  };
  size_t n = std::clamp<size_t>(options.n_concurrent, 1, std::max<size_t>(calls.size(), 1));
  {
    // Joined at the end of this block, also when this thread's share ends in an exception.
    std::vector<std::jthread> threads;
    for (size_t i = 1; i < n; ++i) threads.emplace_back(worker);
    worker();
  }

  EvalResult result;
  for (auto& work : trials) {
    result.failed_calls += work->scores.failed_calls;
    result.trials.push_back(std::move(work->scores));
  }
  return result;
}

}  // namespace autoswarm::bench
