// Synthetic job directories with the files `bench compare` reads (the job's result.json and
// autoswarm.json, and one result.json per trial), so compare can be tested without running anything.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/util/files.h"

namespace autoswarm::testing {

// <job_dir>/result.json: a JobResult of `n_total` trials, with the fields the readers use.
inline void write_synthetic_job_result(const std::filesystem::path& job_dir, size_t n_total) {
  using nlohmann::json;
  util::write_file_atomic(job_dir / "result.json",
                          json{{"id", "00000000-0000-4000-8000-000000000000"},
                               {"started_at", "2025-01-01T00:00:00.000Z"},
                               {"n_total_trials", n_total},
                               {"stats", json::object()}}
                              .dump(2));
}

struct SyntheticTrial {
  std::string task_name;
  double reward = 0.0;
  long long n_input_tokens = 0;
  long long n_output_tokens = 0;
  double cost_usd = 0.0;
  std::string error_type;  // "" : no exception
};

// <job_dir>/result.json plus <job_dir>/<task>/result.json (the task name's last path part).
inline void write_synthetic_job(const std::filesystem::path& job_dir, const std::string& topology,
                                const std::vector<SyntheticTrial>& trials) {
  using nlohmann::json;
  util::ensure_directory(job_dir);
  size_t passed = 0;
  double sum = 0;
  json task_scores = json::object();
  for (const auto& t : trials) {
    passed += t.reward >= 1.0 ? 1 : 0;
    sum += t.reward;
    task_scores[t.task_name] = t.reward;
    std::string dir = t.task_name.substr(t.task_name.find_last_of('/') + 1);
    json exception = nullptr;
    if (!t.error_type.empty()) {
      exception = {{"exception_type", t.error_type}, {"exception_message", "synthetic"}};
    }
    util::ensure_directory(job_dir / dir);
    util::write_file_atomic(job_dir / dir / "result.json",
                            json{{"task_name", t.task_name},
                                 {"trial_name", dir},
                                 {"agent_result",
                                  {{"n_input_tokens", t.n_input_tokens},
                                   {"n_output_tokens", t.n_output_tokens},
                                   {"cost_usd", t.cost_usd}}},
                                 {"verifier_result", {{"rewards", {{"reward", t.reward}}}}},
                                 {"exception_info", exception}}
                                .dump(2));
  }
  write_synthetic_job_result(job_dir, trials.size());
  util::write_file_atomic(job_dir / "autoswarm.json",
                          json{{"job_name", job_dir.filename().string()},
                               {"n_total_trials", trials.size()},
                               {"passed", passed},
                               {"avg_score", trials.empty() ? 0.0 : sum / static_cast<double>(trials.size())},
                               {"pipeline_topology", topology},
                               {"task_scores", task_scores}}
                              .dump(2));
}

// Two jobs over the same four tasks: A (vanilla-agent) passes 2 with 7150 tokens and $0.065;
// B (plan→execute) passes 3 with 9130 tokens and $0.083; csv-summary regressed, fix-fizzbuzz
// and log-errors (an AgentTimeoutError in A) improved.
inline void write_two_jobs(const std::filesystem::path& a, const std::filesystem::path& b) {
  write_synthetic_job(a, "vanilla-agent",
                      {{"autoswarm/csv-summary", 1.0, 2000, 200, 0.020, ""},
                       {"autoswarm/fix-fizzbuzz", 0.0, 1500, 150, 0.015, ""},
                       {"autoswarm/hello-world", 1.0, 1500, 150, 0.015, ""},
                       {"log-errors", 0.0, 1500, 150, 0.015, "AgentTimeoutError"}});
  write_synthetic_job(b, "plan→execute",
                      {{"autoswarm/csv-summary", 0.0, 2300, 230, 0.023, ""},
                       {"autoswarm/fix-fizzbuzz", 1.0, 2000, 200, 0.020, ""},
                       {"autoswarm/hello-world", 1.0, 2000, 200, 0.020, ""},
                       {"log-errors", 1.0, 2000, 200, 0.020, ""}});
}

}  // namespace autoswarm::testing
