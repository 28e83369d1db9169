// `autoswarm bench compare JOB_A JOB_B`: two finished jobs side by side — every task's reward
// in both, what regressed and improved, and the change in passed, tokens and cost.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autoswarm::bench {

// One trial as its result.json records it.
struct TrialSummary {
  std::string task_name;
  double reward = 0.0;                // reward_of(verifier_result.rewards); with -k, the mean
  size_t attempts = 1;                // the task's trials (-k)
  size_t passes = 0;                  // of them passed
  std::string error_type;             // exception_info.exception_type; "" when none
  long long tokens = 0;               // n_input_tokens + n_output_tokens
  double cost_usd = 0.0;
};

// A job directory read back (its result.json and the trials' result.json files).
struct JobSummary {
  std::filesystem::path dir;
  std::string topology;               // result.json's pipeline_topology ("" when absent)
  // Planned tasks (autoswarm.json's n_tasks, else n_total_trials), at least the tasks read.
  size_t n_total = 0;
  std::map<std::string, TrialSummary> trials;  // by task name, its attempts folded together

  size_t passed() const;              // tasks with a trial of reward 1
  long long tokens() const;
  double cost_usd() const;
};

// Reads a job directory written by `bench run` (`jobs/latest` works: symlinks are followed).
// Throws FileError naming the directory when it is not a job (no result.json, or not a
// directory) or when a result.json cannot be parsed.
JobSummary load_job_summary(const std::filesystem::path& job_dir);

struct TaskComparison {
  std::string task_name;
  std::optional<double> reward_a;     // nullopt: the task has no trial in that job
  std::optional<double> reward_b;
  std::string error_a, error_b;       // exception types, "" when none
};

struct JobComparison {
  JobSummary a, b;
  std::vector<TaskComparison> tasks;  // every task of either job, by name
  std::vector<std::string> regressed; // reward lower in B (a missing trial counts 0)
  std::vector<std::string> improved;  // reward higher in B

  // The report `bench compare` prints: the table, regressed/improved, and the deltas.
  std::string to_text() const;
};

JobComparison compare_jobs(JobSummary a, JobSummary b);

}  // namespace autoswarm::bench
