#include "autoswarm/bench/trials/job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "autoswarm/bench/agent/trajectory.h"
#include "autoswarm/util/error.h"
#include "job_run.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"
#include "autoswarm/version.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json null_if_empty(const std::vector<std::string>& v) { return v.empty() ? json(nullptr) : json(v); }

// Harbor's JobConfig (models/job/config.py): the tasks directory as the one dataset, the agent,
// the retry policy and the environment.
json job_config_json(const JobOptions& options, const JobResult& job) {
  const TrialSettings& trial = options.trial;
  json model = job.model.empty() ? json(nullptr) : json(job.model);
  return {
      {"job_name", job.job_name},
      {"jobs_dir", options.jobs_dir.string()},
      {"n_attempts", options.n_attempts},
      {"timeout_multiplier", trial.timeout_multiplier},
      {"debug", false},
      {"n_concurrent_trials", options.n_concurrent},
      {"quiet", false},
      {"retry",
       {{"max_retries", options.retry.max_retries},
        {"include_exceptions", options.retry.include ? json(*options.retry.include) : json(nullptr)},
        {"exclude_exceptions", options.retry.exclude},
        {"wait_multiplier", 1.0},
        {"min_wait_sec", options.retry.min_wait_sec},
        {"max_wait_sec", options.retry.max_wait_sec}}},
      {"environment", environment_config_json(json::object())},
      {"verifier", verifier_config_json()},
      {"metrics", json::array()},
      {"agents", json::array({{{"name", job.agent},
                               {"import_path", nullptr},
                               {"model_name", model},
                               {"override_timeout_sec", nullptr},
                               {"max_timeout_sec", nullptr},
                               {"kwargs", json::object()},
                               {"env", json::object()}}})},
      {"datasets",
       options.dataset_path.empty()
           ? json::array()
           : json::array({{{"path", fs::absolute(options.dataset_path).lexically_normal().string()},
                           {"name", nullptr},
                           {"version", nullptr},
                           {"ref", nullptr},
                           {"overwrite", false},
                           {"download_dir", nullptr},
                           {"task_names", null_if_empty(options.include)},
                           {"exclude_task_names", null_if_empty(options.exclude)},
                           {"n_tasks", options.n_tasks ? json(*options.n_tasks) : json(nullptr)}}})},
      {"tasks", json::array()},
      {"artifacts", json::array()},
  };
}

}  // namespace

std::map<std::string, std::pair<size_t, size_t>> JobResult::attempts_by_task() const {
  std::map<std::string, std::pair<size_t, size_t>> out;
  for (const auto& t : trials) {
    auto& [n, c] = out[t.task_name];
    ++n;
    c += t.passed() ? 1 : 0;
  }
  return out;
}

size_t JobResult::passed() const {
  size_t n = 0;
  for (const auto& [task, nc] : attempts_by_task()) n += nc.second > 0 ? 1 : 0;
  return n;
}

size_t JobResult::passed_every_attempt() const {
  size_t n = 0;
  for (const auto& [task, nc] : attempts_by_task()) n += nc.first >= n_attempts && nc.second == nc.first ? 1 : 0;
  return n;
}

size_t JobResult::n_tasks() const { return n_attempts == 0 ? n_total : n_total / n_attempts; }

double JobResult::avg_score() const {
  if (n_total == 0) return 0.0;
  double sum = 0;
  for (const auto& t : trials) sum += t.reward();
  return sum / static_cast<double>(n_total);
}

int JobResult::turns() const {
  int sum = 0;
  for (const auto& t : trials) sum += t.turns;
  return sum;
}

TokenUsage JobResult::usage() const {
  TokenUsage sum;
  for (const auto& t : trials) sum += t.usage;
  return sum;
}

std::string JobResult::topology() const {
  std::map<std::string, size_t> counts;
  for (const auto& t : trials) {
    if (!t.topology.empty()) ++counts[t.topology];
  }
  if (counts.empty()) return declared_topology;
  return std::max_element(counts.begin(), counts.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

std::string JobResult::summary_line() const {
  char score[32], cost[32];
  std::snprintf(score, sizeof score, "%.2f", avg_score());
  std::snprintf(cost, sizeof cost, "%.4f", usage().cost_usd);
  std::string all_passed;
  if (n_attempts > 1) {
    all_passed = " pass^" + std::to_string(n_attempts) + "=" + std::to_string(passed_every_attempt()) +
                 "/" + std::to_string(n_tasks());
  }
  return "passed=" + std::to_string(passed()) + "/" + std::to_string(n_tasks()) +
         " avg_score=" + score + " topology=" + topology() + " turns=" + std::to_string(turns()) +
         " cost_usd=" + cost + all_passed + " job=" + job_dir.string();
}

const std::vector<std::string>& default_retry_exclusions() {
  static const std::vector<std::string> kExclusions = {
      "AgentTimeoutError", "VerifierTimeoutError", "RewardFileNotFoundError",
      "RewardFileEmptyError", "VerifierOutputParseError"};
  return kExclusions;
}

bool RetryPolicy::should_retry(const std::string& error_type) const {
  if (error_type == to_string(TrialErrorType::kCancelled)) return false;
  if (std::find(exclude.begin(), exclude.end(), error_type) != exclude.end()) return false;
  if (include && std::find(include->begin(), include->end(), error_type) == include->end()) return false;
  return true;
}

std::chrono::milliseconds RetryPolicy::wait_before(size_t retry) const {
  double secs = min_wait_sec * std::pow(2.0, static_cast<double>(std::min<size_t>(retry, 30)));
  return std::chrono::milliseconds(static_cast<long long>(std::min(secs, max_wait_sec) * 1000));
}

double pass_at_k(size_t n, size_t c, size_t k) {
  if (n - c < k) return 1.0;
  // C(n-c, k) / C(n, k) as a product, which neither overflows nor loses precision.
  double all_fail = 1.0;
  for (size_t i = 0; i < k; ++i) {
    all_fail *= static_cast<double>(n - c - i) / static_cast<double>(n - i);
  }
  return 1.0 - all_fail;
}

namespace {

// Harbor's JobStats.format_agent_evals_key.
std::string evals_key(const TrialResult& t) {
  std::string dataset = t.source.empty() ? "adhoc" : t.source;
  if (t.model_name.empty()) return t.agent_name + "__" + dataset;
  return t.agent_name + "__" + t.model_name + "__" + dataset;
}

// Whether a trial's rewards are one key holding 0 or 1 (or absent: a failed attempt), the only
// rewards pass@k is defined for.
bool binary_reward(const TrialResult& t) {
  if (t.rewards.is_null()) return true;
  if (!t.rewards.is_object() || t.rewards.size() != 1) return false;
  const json& v = t.rewards.begin().value();
  return v.is_number() && (v.get<double>() == 0.0 || v.get<double>() == 1.0);
}

// pass@k for k in {2, 4, 8, ...} and {5, 10, 15, ...} up to the fewest attempts of any task,
// the mean over tasks; empty unless every reward is binary.
json pass_at_k_json(const std::vector<const TrialResult*>& trials) {
  std::map<std::string, std::pair<size_t, size_t>> per_task;  // task -> (n, c)
  for (const TrialResult* t : trials) {
    if (!binary_reward(*t)) return json::object();
    auto& [n, c] = per_task[t->task_name];
    ++n;
    c += t->passed() ? 1 : 0;
  }
  json out = json::object();
  if (per_task.empty()) return out;
  size_t fewest = SIZE_MAX;
  for (const auto& [task, nc] : per_task) fewest = std::min(fewest, nc.first);
  std::set<size_t> ks;
  for (size_t k = 2; k <= fewest; k *= 2) ks.insert(k);
  for (size_t k = 5; k <= fewest; k += 5) ks.insert(k);
  for (size_t k : ks) {
    double sum = 0;
    for (const auto& [task, nc] : per_task) sum += pass_at_k(nc.first, nc.second, k);
    out[std::to_string(k)] = sum / static_cast<double>(per_task.size());
  }
  return out;
}

json optional_time(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

json JobResult::harbor_json() const {
  std::map<std::string, std::vector<const TrialResult*>> groups;
  for (const auto& t : trials) groups[evals_key(t)].push_back(&t);
  size_t errored = 0, cancelled = 0;
  long long n_input = 0, n_cache = 0, n_output = 0;
  double cost = 0;
  json evals = json::object();
  for (const auto& [key, group] : groups) {
    json reward_stats = json::object(), exception_stats = json::object();
    size_t n_trials = 0, n_errors = 0;
    double sum = 0;
    for (const TrialResult* t : group) {
      if (t->rewards.is_object()) {
        ++n_trials;
        for (const auto& [name, value] : t->rewards.items()) {
          reward_stats[name][value.dump()].push_back(t->trial_name);
        }
      }
      if (t->error) {
        ++n_errors;
        exception_stats[to_string(t->error->type)].push_back(t->trial_name);
      }
      sum += t->reward();
    }
    errored += n_errors;
    evals[key] = {{"n_trials", n_trials},
                  {"n_errors", n_errors},
                  {"metrics", json::array({{{"mean", sum / static_cast<double>(group.size())}}})},
                  {"pass_at_k", pass_at_k_json(group)},
                  {"reward_stats", reward_stats},
                  {"exception_stats", exception_stats}};
  }
  for (const auto& t : trials) {
    if (t.error && t.error->type == TrialErrorType::kCancelled) ++cancelled;
    n_input += t.usage.prompt_tokens;
    n_cache += t.usage.cached_tokens;
    n_output += t.usage.completion_tokens;
    cost += t.usage.cost_usd;
  }
  size_t completed = trials.size();
  return {
      {"id", id},
      {"started_at", started_at},
      {"updated_at", optional_time(!updated_at.empty()    ? updated_at
                                   : !finished_at.empty() ? finished_at
                                                          : started_at)},
      {"finished_at", optional_time(finished_at)},
      {"n_total_trials", n_total},
      {"stats",
       {{"n_completed_trials", completed},
        {"n_errored_trials", errored},
        {"n_running_trials", n_running},
        {"n_pending_trials", n_total > completed + n_running ? n_total - completed - n_running : 0},
        {"n_cancelled_trials", cancelled},
        {"n_retries", n_retries},
        {"evals", evals},
        {"n_input_tokens", n_input},
        {"n_cache_tokens", n_cache},
        {"n_output_tokens", n_output},
        {"cost_usd", cost}}},
      {"trial_results", json::array()},
  };
}

json JobResult::summary_json() const {
  json task_scores = json::object(), errors = json::object(), trial_names = json::object();
  std::map<std::string, std::pair<double, size_t>> rewards;  // task -> (sum, attempts)
  for (const auto& t : trials) {
    rewards[t.task_name].first += t.reward();
    ++rewards[t.task_name].second;
    trial_names[t.trial_name] = t.task_name;
    if (t.error) errors[to_string(t.error->type)].push_back(t.trial_name);
  }
  for (const auto& [task, sum_n] : rewards) {
    task_scores[task] = sum_n.first / static_cast<double>(sum_n.second);
  }
  TokenUsage total = usage();
  return {
      {"job_id", id},
      {"job_name", job_name},
      {"harbor_schema", "Harbor models at UniPat-AI/harbor_multiturn@2c7b4c41 (see docs/benchmark-mode.md)"},
      {"autoswarm_version", kVersion},
      {"started_at", started_at},
      {"finished_at", finished_at},
      {"n_total_trials", n_total},
      {"interrupted", interrupted},
      {"resumed_at", resumed_at.empty() ? json(nullptr) : json(resumed_at)},
      {"n_tasks", n_tasks()},
      {"n_attempts", n_attempts},
      {"passed", passed()},
      {"passed_every_attempt", passed_every_attempt()},
      {"n_retries", n_retries},
      {"avg_score", avg_score()},
      {"pipeline_topology", topology()},
      {"agent", agent},
      {"model", model},
      {"turns", turns()},
      {"tokens",
       {{"prompt_tokens", total.prompt_tokens},
        {"completion_tokens", total.completion_tokens},
        {"cached_tokens", total.cached_tokens}}},
      {"cost_usd", total.cost_usd},
      {"task_scores", task_scores},
      {"trials", trial_names},
      {"errors_by_type", errors},
      {"containers_left", containers_left},
      {"run", run_options.is_object() ? run_options : json::object()},
  };
}

namespace {

// autoswarm_config.json (job_dir.h): what config.json has no field for, written once at the start.
json autoswarm_config_json(const JobOptions& options, const JobResult& job,
                           const std::vector<Task>& tasks) {
  json planned = json::array(), skipped = json::array();
  for (const Task& t : tasks) planned.push_back(t.name);
  for (const TaskProblem& p : options.skipped_tasks) {
    skipped.push_back({{"task", p.task_dir.filename().string()}, {"file", p.file.string()}, {"reason", p.reason}});
  }
  return {{"autoswarm_version", kVersion},
          {"job_id", job.id},
          {"job_name", job.job_name},
          {"started_at", job.started_at},
          {"tasks", planned},
          {"skipped_tasks", skipped},
          {"run", options.run_options.is_object() ? options.run_options : json::object()},
          {"spec", options.spec_origin ? options.spec_origin->to_json() : json(nullptr)}};
}

}  // namespace

JobResult run_job(const std::vector<Task>& tasks, JobOptions options,
                  const std::atomic<bool>& cancel, const JobCallbacks& callbacks) {
  if (tasks.empty()) throw Error("no tasks to run");
  if (options.n_attempts == 0) throw UsageError("-k/--n-attempts must be at least 1");
  const std::string docker_server_version = ready_docker(options);  // before creating anything

  JobResult job;
  job.job_name = options.job_name;
  const JobDir job_dir = create_job_dir(options.jobs_dir, job.job_name);
  const util::FileLock lock(job_dir.lock_file());  // a new directory: nobody else holds it
  job.job_dir = job_dir.path();
  job.id = new_uuid();
  job.n_attempts = options.n_attempts;
  job.n_total = tasks.size() * options.n_attempts;
  describe_agent(options, job);
  job.started_at = util::utc_timestamp_ms();
  job.dataset = options.dataset;
  job.run_options = options.run_options.is_object() ? options.run_options : json::object();
  job.run_options["tasks"] = [&] {
    json names = json::array();
    for (const auto& t : tasks) names.push_back(t.name);
    return names;
  }();
  const std::string run_label = label_trials(options, job, cancel, docker_server_version);
  util::write_file_atomic(job_dir.config_file(), job_config_json(options, job).dump(2) + "\n",
                          kJobFileMode);
  util::write_file_atomic(job_dir.autoswarm_config_file(),
                          autoswarm_config_json(options, job, tasks).dump(2) + "\n", kJobFileMode);
  point_latest_at(options.jobs_dir, job.job_name);
  spdlog::debug("job {}: {} task(s), -n {}, containers labelled {}={}", job.job_dir.string(),
                tasks.size(), options.n_concurrent, kJobLabel, job.job_name);

  // Trial i is attempt i / tasks.size() of task i % tasks.size(): every task's first attempt
  // comes before any second one, so an interrupted -k run has as many tasks begun as it can.
  std::vector<const Task*> slots;
  for (size_t i = 0; i < job.n_total; ++i) slots.push_back(&tasks[i % tasks.size()]);
  run_trials(slots, options, job_dir, run_label, job, cancel, callbacks);
  write_final_job_files(job_dir, job);
  return job;
}

}  // namespace autoswarm::bench
