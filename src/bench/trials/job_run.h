// What run_job (a new job) and resume_job (the rest of an interrupted one) share: the docker
// checks before a run, the labels, -n workers over the trials to run with retries, result.json
// after every finished trial, the interruption, and the job's files at the end.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/trials/job.h"

namespace autoswarm::bench {

// Before anything is written: with docker (TrialSettings::environment.uses_docker()) checks
// the daemon (DockerUnavailableError) and whether it has a bridge network, and removes the
// containers of earlier runs that are gone, with a warning. Returns the docker server's
// version ("" without docker).
std::string ready_docker(JobOptions& options);

// Labels every container of this run with the job's name and a fresh run id, and gives the
// trials the cancel flag, the job's id and the dataset; adds container_labels and
// `docker_server_version` to job.run_options. Returns the run's label, "autoswarm.run=<id>",
// the one every sweep looks for.
std::string label_trials(JobOptions& options, JobResult& job, const std::atomic<bool>& cancel,
                         const std::string& docker_server_version);

// job.agent, model and declared_topology from the options' agent and spec.
void describe_agent(const JobOptions& options, JobResult& job);

// Runs one trial of each task in `slots` (a task may appear more than once: its attempts) into
// `job_dir`, options.n_concurrent at a time, retrying as options.retry says. The trials already
// in job.trials (kept by a resume) count in every result.json written: one now, one after each
// finished trial with the running and pending counts. On the cancel flag no new trial starts
// and every container labelled `run_label` is removed, which ends the running ones. The new
// trials are appended to job.trials in slot order; job.n_retries, interrupted and
// containers_left are updated. Writes neither the final result.json nor autoswarm.json. No
// slots: does nothing at all.
void run_trials(const std::vector<const Task*>& slots, const JobOptions& options,
                const JobDir& job_dir, const std::string& run_label, JobResult& job,
                const std::atomic<bool>& cancel, const JobCallbacks& callbacks);

// result.json and autoswarm.json at the job's end: finished_at now.
void write_final_job_files(const JobDir& job_dir, JobResult& job);

}  // namespace autoswarm::bench
