#include "autoswarm/bench/trials/job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <thread>

#include "autoswarm/bench/agent/trajectory.h"
#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"
#include "autoswarm/version.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kTick = std::chrono::milliseconds(100);

std::string random_id() {
  std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// Removes whatever containers still carry the run's label; returns how many could not be.
size_t sweep_containers(const DockerCli& docker, const std::string& run_label) {
  try {
    std::vector<std::string> ids = docker.containers_with_label(run_label);
    if (!ids.empty()) spdlog::debug("removing {} container(s) labelled {}", ids.size(), run_label);
    return docker.remove_containers(ids);
  } catch (const Error& e) {
    spdlog::warn(
        "could not look for containers labelled {}: {} (check with `docker ps -a "
        "--filter label={}`)",
        run_label, e.what(), run_label);
    return 1;
  }
}

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

TrialResult internal_error_result(const Task& task, const TrialSettings& settings,
                                  const TrialDir& trial, const std::string& what) {
  TrialResult r;
  r.id = new_uuid();
  r.task_name = task.name;
  r.source = settings.source;
  r.agent_name = agent_name(settings.agent);
  r.config = trial_config_json(task, settings, trial);
  r.trial_name = trial.name();
  r.trial_dir = trial.path();
  r.task_dir = task.dir;
  r.started_at = r.finished_at = util::utc_timestamp_ms();
  r.error = TrialError{TrialErrorType::kTrialOutput, what, r.finished_at};
  return r;
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

JobResult run_job(const std::vector<Task>& tasks, JobOptions options,
                  const std::atomic<bool>& cancel, const JobCallbacks& callbacks) {
  if (tasks.empty()) throw Error("no tasks to run");
  const DockerCli& docker = options.trial.docker;
  std::string server_version = docker.ping();
  options.trial.build_network = docker.has_bridge_network();
  try {
    OrphanSweep sweep = remove_orphaned_containers(docker);
    if (!sweep.message().empty()) spdlog::warn("{}", sweep.message());
  } catch (const Error& e) {
    spdlog::warn("could not look for containers left by earlier bench runs: {}", e.what());
  }

  JobResult job;
  job.job_name = options.job_name;
  const JobDir job_dir = create_job_dir(options.jobs_dir, job.job_name);
  job.job_dir = job_dir.path();
  if (options.n_attempts == 0) throw UsageError("-k/--n-attempts must be at least 1");
  job.n_attempts = options.n_attempts;
  job.n_total = tasks.size() * options.n_attempts;
  job.agent = to_string(options.trial.agent);
  job.model = needs_llm(options.trial.agent) ? options.trial.model : "";
  job.declared_topology = options.trial.agent == AgentKind::kPipeline && options.trial.spec
                              ? options.trial.spec->topology()
                          : options.trial.agent == AgentKind::kSingle
                              ? single_agent_spec().topology()
                              : job.agent;
  job.started_at = util::utc_timestamp_ms();

  std::string run_id = random_id();
  std::string run_label = "autoswarm.run=" + run_id;
  options.trial.labels[kJobLabel] = job.job_name;
  options.trial.labels["autoswarm.run"] = run_id;
  options.trial.cancel = &cancel;

  job.id = new_uuid();
  job.dataset = options.dataset;
  job.run_options = options.run_options.is_object() ? options.run_options : json::object();
  job.run_options["tasks"] = [&] {
    json names = json::array();
    for (const auto& t : tasks) names.push_back(t.name);
    return names;
  }();
  job.run_options["container_labels"] = options.trial.labels;
  job.run_options["docker_server_version"] = server_version;
  options.trial.job_id = job.id;
  options.trial.source = options.dataset;
  util::write_file_atomic(job_dir.config_file(), job_config_json(options, job).dump(2) + "\n",
                          kJobFileMode);
  point_latest_at(options.jobs_dir, job.job_name);
  spdlog::debug("job {}: {} task(s), -n {}, containers labelled {}={}", job.job_dir.string(),
                tasks.size(), options.n_concurrent, kJobLabel, job.job_name);

  // Workers take the next task until none is left or the run is interrupted; the calling
  // thread reports, ticks and handles the interruption.
  std::mutex mutex;
  std::condition_variable changed;
  size_t next = 0, running = 0;
  std::deque<size_t> finished;
  // Trial i is attempt i / tasks.size() of task i % tasks.size(): every task's first attempt
  // comes before any second one, so an interrupted -k run has as many tasks begun as it can.
  const size_t n_trials = job.n_total;
  std::vector<std::optional<TrialResult>> results(n_trials);
  auto started = std::chrono::steady_clock::now();

  // A stop request comes only from the workers' destructors: this thread is leaving by an
  // exception, and the workers finish the trial they run and take no new one.
  auto worker = [&](const std::stop_token& stop) {
    for (;;) {
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (cancel.load() || stop.stop_requested() || next >= n_trials) return;
        index = next++;
        ++running;
      }
      const Task& task = tasks[index % tasks.size()];
      const TrialDir trial = [&] {
        std::lock_guard<std::mutex> lock(mutex);  // two attempts must not draw the same name
        TrialDir t = job_dir.new_trial(task.dir.filename().string());
        util::ensure_directory(t.path(), kJobDirMode);
        return t;
      }();
      TrialResult r;
      for (size_t retry = 0;; ++retry) {
        try {
          r = run_trial(task, options.trial, trial);
        } catch (const std::exception& e) {
          r = internal_error_result(task, options.trial, trial, e.what());
          spdlog::error("{}: {}", task.name, e.what());
        }
        if (!r.error || retry >= options.retry.max_retries || cancel.load() ||
            !options.retry.should_retry(to_string(r.error->type))) {
          break;
        }
        auto wait = options.retry.wait_before(retry);
        spdlog::warn("{}: {} ({}); retrying in {:.0f} s ({} of {})", task.name,
                     to_string(r.error->type), r.error->message,
                     std::chrono::duration<double>(wait).count(), retry + 1, options.retry.max_retries);
        for (auto until = std::chrono::steady_clock::now() + wait;
             std::chrono::steady_clock::now() < until && !cancel.load();) {
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              kTick, until - std::chrono::steady_clock::now()));
        }
        if (cancel.load()) break;
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++job.n_retries;
        }
        // Harbor retries a trial in its own directory, from a clean one.
        std::error_code ec;
        fs::remove_all(trial.path(), ec);
        util::ensure_directory(trial.path(), kJobDirMode);
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        results[index] = std::move(r);
        finished.push_back(index);
        --running;
      }
      changed.notify_all();
    }
  };
  size_t n_workers = std::max<size_t>(1, std::min(options.n_concurrent, n_trials));
  std::vector<std::jthread> workers;  // joined below, or by their destructors
  for (size_t i = 0; i < n_workers; ++i) workers.emplace_back(worker);

  // result.json as the job goes, as Harbor keeps it: the finished trials, the running and
  // pending counts; a job killed mid-run leaves one that says how far it got.
  std::vector<size_t> finished_order;
  auto write_progress = [&](size_t running_now) {
    JobResult snapshot = [&] {
      std::lock_guard<std::mutex> lock(mutex);  // n_retries is the workers'
      JobResult copy = job;
      return copy;
    }();
    for (size_t i : finished_order) snapshot.trials.push_back(*results[i]);
    snapshot.n_running = running_now;
    snapshot.updated_at = util::utc_timestamp_ms();
    util::write_file_atomic(job_dir.result_file(), snapshot.harbor_json().dump(2) + "\n", kJobFileMode);
  };
  write_progress(0);

  JobProgress progress;
  progress.total = n_trials;
  for (;;) {
    std::vector<size_t> done_now;
    bool all_done;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, kTick, [&] { return !finished.empty(); });
      done_now.assign(finished.begin(), finished.end());
      finished.clear();
      progress.running = running;
      all_done = running == 0 && (next >= n_trials || cancel.load());
    }
    progress.elapsed = std::chrono::steady_clock::now() - started;
    if (!done_now.empty()) {
      finished_order.insert(finished_order.end(), done_now.begin(), done_now.end());
      write_progress(progress.running);
    }
    for (size_t index : done_now) {
      const TrialResult& r = *results[index];
      ++progress.done;
      if (r.passed()) ++progress.passed;
      if (r.error) ++progress.errors;
      if (callbacks.on_trial_finished) callbacks.on_trial_finished(r, progress);
    }
    if (cancel.load() && !job.interrupted) {
      job.interrupted = true;
      if (callbacks.on_interrupt) callbacks.on_interrupt();
      // Removing the containers ends every docker exec at once; the trials then wind down.
      sweep_containers(docker, run_label);
    }
    if (all_done) break;
    if (callbacks.on_tick) callbacks.on_tick(progress);
  }
  for (auto& w : workers) w.join();
  job.interrupted = job.interrupted || cancel.load();

  // Anything a trial could not remove (or a docker run that raced the interruption).
  job.containers_left = sweep_containers(docker, run_label);
  for (auto& r : results) {
    if (r) job.trials.push_back(std::move(*r));
  }
  job.finished_at = util::utc_timestamp_ms();
  util::write_file_atomic(job_dir.result_file(), job.harbor_json().dump(2) + "\n", kJobFileMode);
  util::write_file_atomic(job_dir.summary_file(), job.summary_json().dump(2) + "\n", kJobFileMode);
  return job;
}

}  // namespace autoswarm::bench
