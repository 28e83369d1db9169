#include "autoswarm/bench/trials/job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
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

TrialResult internal_error_result(const Task& task, const TrialDir& trial,
                                  const std::string& what) {
  TrialResult r;
  r.task_name = task.name;
  r.trial_name = trial.name();
  r.trial_dir = trial.path();
  r.task_dir = task.dir;
  r.started_at = r.finished_at = util::utc_timestamp_ms();
  r.error = TrialError{TrialErrorType::kTrialOutput, what, r.finished_at};
  return r;
}

}  // namespace

size_t JobResult::passed() const {
  return static_cast<size_t>(
      std::count_if(trials.begin(), trials.end(), [](const TrialResult& t) { return t.passed(); }));
}

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
  return "passed=" + std::to_string(passed()) + "/" + std::to_string(n_total) +
         " avg_score=" + score + " topology=" + topology() + " turns=" + std::to_string(turns()) +
         " cost_usd=" + cost + " job=" + job_dir.string();
}

json JobResult::to_json(const std::string& dataset) const {
  json reward_stats = json::object(), exception_stats = json::object(),
       task_scores = json::object();
  size_t errored = 0, completed = 0;
  for (const auto& t : trials) {
    task_scores[t.task_name] = t.reward();
    if (!t.error || t.error->type != TrialErrorType::kCancelled) ++completed;
    if (t.error) {
      ++errored;
      exception_stats[to_string(t.error->type)].push_back(t.trial_name);
    }
    if (t.rewards.is_object()) {
      for (const auto& [key, value] : t.rewards.items()) {
        reward_stats[key][value.dump()].push_back(t.trial_name);
      }
    }
  }
  std::string eval_key = agent + "__" + (model.empty() ? "none" : model) + "__" + dataset;
  TokenUsage total = usage();
  return {
      {"id", job_name},
      {"started_at", started_at},
      {"finished_at", finished_at},
      {"n_total_trials", n_total},
      {"interrupted", interrupted},
      {"stats",
       {{"n_completed_trials", completed},
        {"n_errored_trials", errored},
        {"evals",
         {{eval_key,
           {{"n_trials", trials.size()},
            {"n_errors", errored},
            {"metrics", json::array({{{"mean", avg_score()}}})},
            {"reward_stats", reward_stats},
            {"exception_stats", exception_stats}}}}}}},
      {"passed", passed()},
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
      {"errors_by_type", exception_stats},
      {"containers_left", containers_left},
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
  job.n_total = tasks.size();
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

  json config = options.config.is_object() ? options.config : json::object();
  config.update(json{{"job_name", job.job_name},
                     {"jobs_dir", options.jobs_dir.string()},
                     {"n_concurrent_trials", options.n_concurrent},
                     {"agent", {{"name", job.agent}, {"model_name", job.model}}},
                     {"dataset", options.dataset},
                     {"tasks",
                      [&] {
                        json names = json::array();
                        for (const auto& t : tasks) names.push_back(t.name);
                        return names;
                      }()},
                     {"container_labels", options.trial.labels},
                     {"autoswarm_version", kVersion},
                     {"docker_server_version", server_version},
                     {"started_at", job.started_at}});
  util::write_file_atomic(job_dir.config_file(), config.dump(2) + "\n", kJobFileMode);
  point_latest_at(options.jobs_dir, job.job_name);
  spdlog::debug("job {}: {} task(s), -n {}, containers labelled {}={}", job.job_dir.string(),
                tasks.size(), options.n_concurrent, kJobLabel, job.job_name);

  // Workers take the next task until none is left or the run is interrupted; the calling
  // thread reports, ticks and handles the interruption.
  std::mutex mutex;
  std::condition_variable changed;
  size_t next = 0, running = 0;
  std::deque<size_t> finished;
  std::vector<std::optional<TrialResult>> results(tasks.size());
  auto started = std::chrono::steady_clock::now();

  // A stop request comes only from the workers' destructors: this thread is leaving by an
  // exception, and the workers finish the trial they run and take no new one.
  auto worker = [&](const std::stop_token& stop) {
    for (;;) {
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (cancel.load() || stop.stop_requested() || next >= tasks.size()) return;
        index = next++;
        ++running;
      }
      const Task& task = tasks[index];
      const TrialDir trial = job_dir.trial_for(task.dir);
      TrialResult r;
      try {
        r = run_trial(task, options.trial, trial);
      } catch (const std::exception& e) {
        r = internal_error_result(task, trial, e.what());
        spdlog::error("{}: {}", task.name, e.what());
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
  size_t n_workers = std::max<size_t>(1, std::min(options.n_concurrent, tasks.size()));
  std::vector<std::jthread> workers;  // joined below, or by their destructors
  for (size_t i = 0; i < n_workers; ++i) workers.emplace_back(worker);

  JobProgress progress;
  progress.total = tasks.size();
  for (;;) {
    std::vector<size_t> done_now;
    bool all_done;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, kTick, [&] { return !finished.empty(); });
      done_now.assign(finished.begin(), finished.end());
      finished.clear();
      progress.running = running;
      all_done = running == 0 && (next >= tasks.size() || cancel.load());
    }
    progress.elapsed = std::chrono::steady_clock::now() - started;
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
  util::write_file_atomic(job_dir.result_file(), job.to_json(options.dataset).dump(2) + "\n",
                          kJobFileMode);
  return job;
}

}  // namespace autoswarm::bench
