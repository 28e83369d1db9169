// Reading two job directories back and setting them side by side (`bench compare`).
#include "autoswarm/bench/loop/job_comparison.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/util/error.h"

namespace autoswarm::bench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double number_at(const json& j, const json::json_pointer& ptr) {
  if (!j.contains(ptr)) return 0.0;
  const json& v = j.at(ptr);
  return v.is_number() ? v.get<double>() : 0.0;
}

TrialSummary trial_summary(const json& r) {
  TrialSummary t;
  t.task_name = r.value("task_name", "");
  if (r.contains("verifier_result") && r["verifier_result"].is_object()) {
    t.reward = reward_of(r["verifier_result"].value("rewards", json(nullptr)));
  }
  const json& exception = r.contains("exception_info") ? r["exception_info"] : json(nullptr);
  if (exception.is_object()) t.error_type = exception.value("exception_type", "");
  t.tokens = static_cast<long long>(number_at(r, "/agent_result/n_input_tokens"_json_pointer) +
                                    number_at(r, "/agent_result/n_output_tokens"_json_pointer));
  t.cost_usd = number_at(r, "/agent_result/cost_usd"_json_pointer);
  return t;
}

std::string format_reward(const std::optional<double>& r) {
  if (!r) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *r);
  return buf;
}

std::string signed_number(double v, const char* format) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  std::string s = buf;
  if (v >= 0 && s.front() != '-') s = "+" + s;
  return s;
}

// Width in code points, so task names with non-ASCII characters still line up.
size_t display_width(const std::string& s) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars;
}

std::string padded(const std::string& s, size_t width) {
  size_t chars = display_width(s);
  return s + std::string(width > chars ? width - chars : 0, ' ');
}

}  // namespace

size_t JobSummary::passed() const {
  return static_cast<size_t>(
      std::count_if(trials.begin(), trials.end(), [](const auto& t) { return t.second.passes > 0; }));
}

long long JobSummary::tokens() const {
  long long sum = 0;
  for (const auto& [name, t] : trials) sum += t.tokens;
  return sum;
}

double JobSummary::cost_usd() const {
  double sum = 0;
  for (const auto& [name, t] : trials) sum += t.cost_usd;
  return sum;
}

JobSummary load_job_summary(const fs::path& job_dir) {
  std::error_code ec;
  if (!fs::is_directory(job_dir, ec)) {
    throw FileError(job_dir.string() + " is not a job directory: " +
                    (fs::exists(job_dir, ec) ? "it is not a directory" : "it does not exist") +
                    " (give a directory `autoswarm bench run` wrote, e.g. jobs/latest)");
  }
  const JobDir dir(job_dir);
  if (!fs::is_regular_file(dir.result_file(), ec)) {
    throw FileError(job_dir.string() + " is not a job directory: it has no result.json "
                    "(give a directory `autoswarm bench run` wrote, e.g. jobs/latest)");
  }
  JobSummary job;
  job.dir = job_dir;
  json result = read_job_json(dir.result_file());
  if (!result.is_object()) throw FileError(dir.result_file().string() + " is not a job result");
  json summary = try_read_job_json(dir.summary_file());
  if (summary.is_object()) job.topology = summary.value("pipeline_topology", "");
  if (summary.is_object() && summary.contains("n_tasks") && summary["n_tasks"].is_number_unsigned()) {
    result["n_total_trials"] = summary["n_tasks"];  // -k: compare counts tasks
  }
  if (result.contains("n_total_trials") && result["n_total_trials"].is_number_integer() &&
      result["n_total_trials"].get<long long>() > 0) {
    job.n_total = result["n_total_trials"].get<size_t>();
  }

  for (const TrialDir& trial : dir.trials()) {
    TrialSummary t = trial_summary(read_job_json(trial.result_file()));
    if (t.task_name.empty()) t.task_name = trial.name();
    t.passes = is_passing_reward(t.reward) ? 1 : 0;
    auto [it, fresh] = job.trials.try_emplace(t.task_name, t);
    if (fresh) continue;
    // Another attempt of the task (-k): mean reward, summed cost, the last error named.
    TrialSummary& sum = it->second;
    sum.reward = (sum.reward * static_cast<double>(sum.attempts) + t.reward) /
                 static_cast<double>(sum.attempts + 1);
    ++sum.attempts;
    sum.passes += t.passes;
    sum.tokens += t.tokens;
    sum.cost_usd += t.cost_usd;
    if (!t.error_type.empty()) sum.error_type = t.error_type;
  }
  job.n_total = std::max(job.n_total, job.trials.size());
  return job;
}

JobComparison compare_jobs(JobSummary a, JobSummary b) {
  JobComparison c;
  std::set<std::string> names;
  for (const auto& [name, t] : a.trials) names.insert(name);
  for (const auto& [name, t] : b.trials) names.insert(name);
  for (const std::string& name : names) {
    TaskComparison row;
    row.task_name = name;
    if (auto it = a.trials.find(name); it != a.trials.end()) {
      row.reward_a = it->second.reward;
      row.error_a = it->second.error_type;
    }
    if (auto it = b.trials.find(name); it != b.trials.end()) {
      row.reward_b = it->second.reward;
      row.error_b = it->second.error_type;
    }
    double ra = row.reward_a.value_or(0.0), rb = row.reward_b.value_or(0.0);
    if (rb < ra - 1e-9) c.regressed.push_back(name);
    if (rb > ra + 1e-9) c.improved.push_back(name);
    c.tasks.push_back(std::move(row));
  }
  c.a = std::move(a);
  c.b = std::move(b);
  return c;
}

std::string JobComparison::to_text() const {
  size_t width = 4;
  for (const auto& t : tasks) width = std::max(width, display_width(t.task_name));
  std::string out = "A: " + a.dir.string() + (a.topology.empty() ? "" : "  (" + a.topology + ")") +
                    "\nB: " + b.dir.string() + (b.topology.empty() ? "" : "  (" + b.topology + ")") +
                    "\n\n" + padded("task", width) + "  A      B      change\n";
  for (const auto& t : tasks) {
    std::string change;
    double ra = t.reward_a.value_or(0.0), rb = t.reward_b.value_or(0.0);
    if (rb < ra - 1e-9) change = "regressed";
    else if (rb > ra + 1e-9) change = "improved";
    if (!t.error_b.empty()) change += (change.empty() ? "" : "  ") + ("B: " + t.error_b);
    else if (!t.error_a.empty()) change += (change.empty() ? "" : "  ") + ("A: " + t.error_a);
    std::string line = padded(t.task_name, width) + "  " + padded(format_reward(t.reward_a), 5) +
                       "  " + padded(format_reward(t.reward_b), 5) + "  " + change;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return names.empty() ? std::string("none") : s;
  };
  out += "\nregressed (" + std::to_string(regressed.size()) + "): " + list(regressed) + "\n";
  out += "improved (" + std::to_string(improved.size()) + "): " + list(improved) + "\n";

  char buf[256];
  long long pa = static_cast<long long>(a.passed()), pb = static_cast<long long>(b.passed());
  std::snprintf(buf, sizeof buf, "passed: %lld/%zu -> %lld/%zu (%s)\n", pa, a.n_total, pb,
                b.n_total, signed_number(static_cast<double>(pb - pa), "%.0f").c_str());
  out += buf;
  std::snprintf(buf, sizeof buf, "tokens: %lld -> %lld (%s)\n", a.tokens(), b.tokens(),
                signed_number(static_cast<double>(b.tokens() - a.tokens()), "%.0f").c_str());
  out += buf;
  std::snprintf(buf, sizeof buf, "cost_usd: %.4f -> %.4f (%s)\n", a.cost_usd(), b.cost_usd(),
                signed_number(b.cost_usd() - a.cost_usd(), "%.4f").c_str());
  out += buf;
  return out;
}

}  // namespace autoswarm::bench
