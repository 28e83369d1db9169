// A benchmark job: every task's trial, -n at a time, into a Harbor-style job directory
//   <jobs_dir>/<job_name>/{config.json, result.json, <trial>/…}   and <jobs_dir>/latest → it
// (the layout: job_dir.h).
// Interruption (the cancel flag, set by the CLI on Ctrl-C/SIGTERM) stops new trials, kills
// the running ones by removing every container the job started, and still writes result.json.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/trials/trial.h"

namespace autoswarm::bench {

struct JobOptions {
  std::filesystem::path jobs_dir = "jobs";
  std::string job_name;                 // "": the start time, "%Y-%m-%d__%H-%M-%S"
  size_t n_concurrent = 4;
  TrialSettings trial;                  // labels and cancel are filled in by run_job
  std::string dataset;                  // the tasks directory, for the eval key and config.json
  nlohmann::json config;                // extra fields for config.json (the command's flags)
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
  std::string job_name;
  std::vector<TrialResult> trials;      // finished (and interrupted) trials, in task order
  size_t n_total = 0;                   // trials planned
  bool interrupted = false;
  size_t containers_left = 0;           // could not be removed (named in the log)
  std::string started_at, finished_at;
  std::string agent;                    // "pipeline", "oracle", ...
  std::string model;
  std::string declared_topology;        // the spec's (or the agent's name)

  size_t passed() const;
  double avg_score() const;             // mean reward over n_total (unrun trials count 0)
  int turns() const;
  TokenUsage usage() const;
  // The topology most trials executed, else the declared one.
  std::string topology() const;
  // `passed=7/15 avg_score=0.47 topology=plan→execute turns=31 cost_usd=0.0000 job=<dir>`
  std::string summary_line() const;
  // Harbor's job result.json plus AutoSwarm's summary fields (passed, avg_score, topology…).
  nlohmann::json to_json(const std::string& dataset) const;
};

// Creates the job directory (a fresh one: an explicit job_name that already exists is a
// UsageError), runs the trials, writes result.json and points <jobs_dir>/latest at the job.
// Checks the docker daemon first (DockerUnavailableError), and removes the containers earlier
// runs that are gone left behind, with a warning that says so (remove_orphaned_containers). `cancel` is read, never written.
JobResult run_job(const std::vector<Task>& tasks, JobOptions options,
                  const std::atomic<bool>& cancel, const JobCallbacks& callbacks = {});

}  // namespace autoswarm::bench
