// Synthetic job directories in the layout `bench run` writes (result.json, per-trial result.json,
// agent/{instruction.md, stage_traces.json, trajectory.json}), for eval and record tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/util/files.h"
#include "bench/loop/synthetic_job.h"

namespace autoswarm::testing {

struct EvalStage {
  std::string id;
  std::string system_prompt;
  std::string output;
  std::string input_context = "(none: this is the first stage)";
  // The trace's consumed_by (a stage id, or null for none); absent: the field is not written.
  std::optional<nlohmann::json> consumed_by{};
};

struct EvalTrial {
  std::string task;
  std::string instruction;
  double reward = 1.0;
  std::vector<EvalStage> stages;  // executed, in order (a stage may repeat)
};

// Writes <job_dir>/result.json, autoswarm.json and one trial directory per trial.
inline void write_eval_job(const std::filesystem::path& job_dir,
                                const std::vector<EvalTrial>& trials,
                                const std::string& topology = "plan→execute",
                                double cost_usd = 0.0) {
  using nlohmann::json;
  util::ensure_directory(job_dir);
  json task_scores = json::object();
  size_t passed = 0;
  double sum = 0;
  for (const auto& t : trials) {
    task_scores[t.task] = t.reward;
    passed += t.reward >= 1.0 ? 1 : 0;
    sum += t.reward;
    std::filesystem::path agent = job_dir / t.task / "agent";
    util::ensure_directory(agent);
    util::write_file_atomic(job_dir / t.task / "result.json",
                            json{{"task_name", t.task},
                                 {"trial_name", t.task},
                                 {"verifier_result", {{"rewards", {{"reward", t.reward}}}}}}
                                .dump());
    util::write_file_atomic(agent / "instruction.md", t.instruction);
    json traces = json::array(), steps = json::array();
    for (const auto& s : t.stages) {
      traces.push_back({{"stage", s.id},
                        {"model", "fake-model"},
                        {"attempt", 1},
                        {"input_context", s.input_context},
                        {"output", s.output},
                        {"turns_used", 1}});
      if (s.consumed_by) traces.back()["consumed_by"] = *s.consumed_by;
      steps.push_back({{"source", "system"}, {"message", s.system_prompt}, {"extra", {{"stage", s.id}}}});
      steps.push_back({{"source", "agent"}, {"message", s.output}, {"extra", {{"stage", s.id}}}});
    }
    util::write_file_atomic(agent / "stage_traces.json", traces.dump(2));
    util::write_file_atomic(agent / "trajectory.json",
                            json{{"schema_version", "ATIF-v1.6"}, {"steps", steps}}.dump(2));
  }
  write_synthetic_job_result(job_dir, trials.size());
  util::write_file_atomic(
      job_dir / "autoswarm.json",
      json{{"job_name", job_dir.filename().string()},
           {"n_total_trials", trials.size()},
           {"passed", passed},
           {"avg_score", trials.empty() ? 0.0 : sum / static_cast<double>(trials.size())},
           {"pipeline_topology", topology},
           {"cost_usd", cost_usd},
           {"task_scores", task_scores}}
          .dump(2));
}

// The two-stage trial most tests use: a planner (PLANNER) and an executor (EXECUTOR).
inline EvalTrial eval_plan_execute_trial(const std::string& task, double reward = 1.0) {
  return {task,
          "Task " + task + ": write /app/" + task + ".txt",
          reward,
          {{"plan", "PLANNER. You write a short plan.", "- write /app/" + task + ".txt"},
           {"execute", "EXECUTOR. You carry out the plan.", "Done: wrote /app/" + task + ".txt",
            "=== plan ===\n- write /app/" + task + ".txt"}}};
}

}  // namespace autoswarm::testing
