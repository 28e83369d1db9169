// A benchmark job: every task's trial, -n at a time, into a Harbor job directory
//   <jobs_dir>/<job_name>/{config.json, autoswarm_config.json, result.json, autoswarm.json, <trial>/…}
// and <jobs_dir>/latest → it (the layout: job_dir.h). config.json and result.json, and each
// trial's, are Harbor's models (JobConfig, JobResult, TrialConfig, TrialResult) as
// tests/harbor_schema/ describes them; AutoSwarm's summary is autoswarm.json.
// Interruption (the cancel flag, set by the CLI on Ctrl-C/SIGTERM) stops new trials, kills
// the running ones by removing every container the job started, and still writes result.json.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/spec/spec_origin.h"
#include "autoswarm/bench/trials/trial.h"

namespace autoswarm::bench {

// Harbor's default RetryConfig.exclude_exceptions: the errors a retry would not cure.
const std::vector<std::string>& default_retry_exclusions();

// Harbor's RetryConfig: a failed trial runs again, in its own (cleaned) directory, up to
// max_retries times, when its error type is not excluded and (with an include list) included;
// a CancelledError never. Waits min_wait_sec × 2^retry, at most max_wait_sec, before each.
struct RetryPolicy {
  size_t max_retries = 0;                               // -r/--max-retries
  std::optional<std::vector<std::string>> include;      // --retry-include (none: every type)
  std::vector<std::string> exclude = default_retry_exclusions();  // --retry-exclude
  double min_wait_sec = 1.0;
  double max_wait_sec = 60.0;

  bool should_retry(const std::string& error_type) const;
  std::chrono::milliseconds wait_before(size_t retry) const;  // retry: 0 for the first
};

struct JobOptions {
  std::filesystem::path jobs_dir = "jobs";
  std::string job_name;                 // "": the start time, "%Y-%m-%d__%H-%M-%S"
  size_t n_concurrent = 4;
  size_t n_attempts = 1;                // -k: trials per task, each its own trial directory
  RetryPolicy retry;
  TrialSettings trial;                  // labels and cancel are filled in by run_job
  std::string dataset;                  // the tasks directory's name: trials' `source`, eval keys
  std::filesystem::path dataset_path;   // the tasks directory, config.json's datasets[0].path
  std::vector<std::string> include, exclude;  // -i / -x globs, datasets[0].task_names / exclude_
  std::optional<size_t> n_tasks;        // -l, datasets[0].n_tasks
  nlohmann::json run_options;           // the flags config.json has no field for: autoswarm_config.json's
                                        // "run" (bench resume reads them back), autoswarm.json's "run"
  std::optional<SpecOrigin> spec_origin;  // the spec's hash and git state: autoswarm_config.json's "spec"
  std::vector<TaskProblem> skipped_tasks;  // unusable tasks: autoswarm_config.json's "skipped_tasks"
};

// Counts as the job goes; what a progress display shows.
struct JobProgress {
  size_t total = 0;
  size_t done = 0;
  size_t passed = 0;
  size_t errors = 0;
  size_t running = 0;
  std::chrono::steady_clock::duration elapsed{};
};

struct JobCallbacks {
  // After each trial, in the order they finish; always on the thread that called run_job.
  std::function<void(const TrialResult&, const JobProgress&)> on_trial_finished;
  // About every 100 ms while trials run (redraw a live display), same thread.
  std::function<void(const JobProgress&)> on_tick;
  // Once, when the cancel flag is first seen.
  std::function<void()> on_interrupt;
};

struct JobResult {
  std::filesystem::path job_dir;
  std::string id;                       // a UUID, Harbor's JobResult.id
  std::string job_name;
  std::string dataset;                  // "" : adhoc
  nlohmann::json run_options;           // autoswarm.json's "run"
  std::vector<TrialResult> trials;      // finished (and interrupted) trials, in task order
  size_t n_total = 0;                   // trials planned: tasks × n_attempts
  size_t n_attempts = 1;
  size_t n_retries = 0;                 // trials run again (RetryPolicy)
  size_t n_running = 0;                 // while the job runs: result.json's n_running_trials
  std::string updated_at;               // while the job runs: when result.json was last written
  bool interrupted = false;
  size_t containers_left = 0;           // could not be removed (named in the log)
  std::string started_at, finished_at;
  std::string resumed_at;               // when bench resume last ran it ("" : never)
  std::string agent;                    // "pipeline", "oracle", ...
  std::string model;
  std::string declared_topology;        // the spec's (or the agent's name)

  size_t n_tasks() const;               // n_total / n_attempts
  // Tasks with at least one passing attempt (with -k 1: passing trials); what `passed` means.
  size_t passed() const;
  // pass^k: tasks whose every one of the n_attempts attempts passed.
  size_t passed_every_attempt() const;
  double avg_score() const;             // mean reward over n_total (unrun trials count 0)
  int turns() const;
  TokenUsage usage() const;
  // The topology most trials executed, else the declared one.
  std::string topology() const;
  // `passed=7/15 avg_score=0.47 topology=plan→execute turns=31 cost_usd=0.0000 job=<dir>`,
  // with -k 3 ` pass^3=5/15` before ` job=`; passed and pass^k out of the tasks.
  std::string summary_line() const;
  // task name -> (attempts finished, attempts passed)
  std::map<std::string, std::pair<size_t, size_t>> attempts_by_task() const;
  // Harbor's JobResult (models/job/result.py), for result.json: stats with evals keyed
  // `<agent>__<model>__<dataset|adhoc>` (`<agent>__<dataset|adhoc>` without a model), each
  // with metrics [{"mean"}], pass_at_k, reward_stats and exception_stats; every finished
  // trial completed (errored and cancelled ones too); trials never started pending.
  nlohmann::json harbor_json() const;
  // autoswarm.json: passed, avg_score, pipeline_topology, task_scores, errors_by_type, tokens,
  // cost, the run's flags: what bench record, compare and the loop read.
  nlohmann::json summary_json() const;
};

// The unbiased pass@k estimator (Chen et al. 2021, as Harbor computes it): of n attempts of a
// task, c passed; the chance that k of them drawn without replacement hold at least one pass,
// 1 - C(n-c, k) / C(n, k). 1 when n - c < k; requires k <= n.
double pass_at_k(size_t n, size_t c, size_t k);

// Creates the job directory (a fresh one: an explicit job_name that already exists is a
// UsageError), writes config.json and autoswarm_config.json, runs the trials, writes
// result.json (at the start, after every finished trial with the running and pending counts,
// and at the end), autoswarm.json at the end, and points <jobs_dir>/latest at the job.
// Checks the docker daemon first (DockerUnavailableError), and removes the containers earlier
// runs that are gone left behind, with a warning that says so (remove_orphaned_containers);
// neither when the trials' EnvironmentFactory is not docker's. `cancel` is read, never written.
JobResult run_job(const std::vector<Task>& tasks, JobOptions options,
                  const std::atomic<bool>& cancel, const JobCallbacks& callbacks = {});

}  // namespace autoswarm::bench
