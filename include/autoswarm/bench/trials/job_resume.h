// `bench resume`: the rest of a job that did not finish (Ctrl-C, SIGKILL, a crash). What the
// run was asked to do is read back from the job (RecordedRun); every trial directory is looked
// at (ResumePlan): a finished trial is kept, a cancelled, unfinished or unreadable one (no
// result.json, or one cut short) is removed and run again, as are the attempts that never
// started; then result.json and autoswarm.json are written over all the trials, old and new.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/spec/spec_origin.h"
#include "autoswarm/bench/trials/job.h"
#include "autoswarm/util/files.h"

namespace autoswarm::bench {

// How `bench run` was asked to run a job: Harbor's config.json for what it has a field for,
// autoswarm_config.json (job_dir.h) for the rest.
struct RecordedRun {
  std::string job_id;                 // autoswarm_config.json: the job's UUID
  std::string job_name;
  std::string started_at;             // result.json's, else autoswarm_config.json's
  size_t n_retries = 0;               // result.json's stats.n_retries so far
  std::string agent;                  // config.json agents[0].name: pipeline, single, oracle, nop
  std::string model;                  // agents[0].model_name ("" : none)
  size_t n_concurrent = 4;            // n_concurrent_trials
  size_t n_attempts = 1;
  RetryPolicy retry;                  // retry
  double timeout_multiplier = 1.0;
  std::filesystem::path tasks_dir;    // datasets[0].path
  std::vector<std::string> include, exclude;  // datasets[0].task_names / exclude_task_names
  std::vector<std::string> tasks;     // autoswarm_config.json: the tasks planned, in run order
  nlohmann::json run;                 // autoswarm_config.json's "run": the other flags
  std::optional<SpecOrigin> spec;     // autoswarm_config.json's "spec"
};

// Reads `job` back. Throws FileError naming the file that is missing or wrong: a directory that
// is no job (no config.json), or a job written before bench resume existed (no
// autoswarm_config.json: run it again).
RecordedRun read_recorded_run(const JobDir& job);

// What a job's trial directories hold, and what is left to run.
struct ResumePlan {
  std::vector<TrialResult> kept;      // finished trials, read back (cancelled ones excepted)
  std::vector<TrialDir> cancelled;    // result.json says CancelledError
  std::vector<TrialDir> unfinished;   // no result.json: killed while it ran
  std::vector<TrialDir> unreadable;   // a result.json that is not a finished trial's (cut short)
  // One task name per trial to run: the attempts each planned task lacks, every task's first
  // missing attempt before any second one, as bench run orders them.
  std::vector<std::string> rerun;
  size_t n_total = 0;                 // trials the job planned: tasks × n_attempts
  // result.json has its finished_at and autoswarm.json exists and says not interrupted: the
  // run reached its end.
  bool ended = false;

  std::vector<TrialDir> to_remove() const;  // cancelled, unfinished and unreadable
  // Nothing to run and nothing to rewrite.
  bool complete() const { return rerun.empty() && to_remove().empty() && ended; }
};

// The job's lock (JobDir::lock_file), taken without waiting: throws Error when a bench run or
// bench resume of the job is still going (its trials are not to be touched). Take it after
// read_recorded_run (which makes sure the directory is a job) and hold it to the end.
std::unique_ptr<util::FileLock> lock_resume(const JobDir& job);

// Looks at every trial directory of `job` (JobDir::trial_dirs). A kept trial of a task the run
// did not plan is kept, with a warning. Reads only; removes nothing.
ResumePlan plan_resume(const JobDir& job, const RecordedRun& run);

// Throws Error when the spec the run used (run.run's spec_file) no longer has the sha256 it
// had: resuming would mix two specs in one job. Nothing to check for a run without a spec.
void require_unchanged_spec(const RecordedRun& run);

// Finishes `job` as `plan` says: removes the trial directories to_remove(), runs plan.rerun
// with `options` (as run_job runs trials: -n at a time, retries, result.json as it goes,
// interruption) over `tasks` (a planned task missing from them is warned about and its trials
// stay pending), then writes result.json and autoswarm.json over the kept trials and the new
// ones. The job keeps its id, name and started_at; `latest` is not moved. Docker is checked
// and swept as run_job does when the trials use it. The caller holds the job's lock
// (lock_resume) from before plan_resume.
JobResult resume_job(const std::vector<Task>& tasks, JobOptions options, const JobDir& job,
                     const RecordedRun& run, const ResumePlan& plan,
                     const std::atomic<bool>& cancel, const JobCallbacks& callbacks = {});

}  // namespace autoswarm::bench
