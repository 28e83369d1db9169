// The agent phase of one trial, as the trial orchestration calls it: run the pipeline, the
// single-agent baseline, the oracle or nothing in an Environment, and return what happened.
//
//   AgentContext ctx{.task = task, .env = container, .client = &client, .spec = &spec,
//                    .model = "qwen3-coder", .cancel = &interrupted};
//   AgentOutcome outcome = run_agent(AgentKind::kPipeline, ctx);
//   write_agent_outputs(outcome, trial);   // agent/trajectory.json, agent/stage_traces.json
//   if (outcome.error) record to_string(outcome.error->type) ("AgentTimeoutError", ...)
//
// run_agent never throws for what happens inside the trial (LLM failures, timeouts, a vanished
// container, an oracle without solution/): those become `outcome.error`, and the trajectory holds
// what was done until then. It throws UsageError only for a context that cannot work (no client
// for pipeline/single, no spec for pipeline). The timeout holds for a model call in flight too
// (the call ends at the agent's deadline); the cancel flag ends the agent at its next step, and
// a call in flight ends when the caller aborts the client (llm::Client::abort, on Ctrl-C).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/agent/environment.h"
#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/bench/spec/task.h"
#include "autoswarm/bench/agent/token_usage.h"
#include "autoswarm/bench/trial_error_type.h"

namespace autoswarm::llm {
class Client;
}

namespace autoswarm::bench {

class ToolRegistry;

enum class AgentKind {
  kPipeline,  // the spec's flow: stages with handoffs, retries, branches, stages as tools
  kSingle,    // the baseline: one stage, "You are an agent that executes tasks", 30 turns
  kOracle,    // copies solution/ to /solution and runs solve.sh
  kNop,       // does nothing (checks that a task's tests fail untouched)
};

// "pipeline" | "single" | "oracle" | "nop" (the --agent flag); nullopt otherwise.
std::optional<AgentKind> parse_agent_kind(std::string_view name);
std::string to_string(AgentKind kind);

// The agent's name in its trajectory and the trial's result.json (agent_info.name):
// "autoswarm-pipeline", "autoswarm-single", "oracle", "nop".
std::string agent_name(AgentKind kind);

// Whether the agent calls a model (pipeline, single): it needs an LLM client, and its trials
// record the model.
bool needs_llm(AgentKind kind);

// The spec of the single-agent baseline: one stage "agent", "You are an agent that executes
// tasks", every built-in tool, 30 turns.
PipelineSpec single_agent_spec();

struct AgentContext {
  const Task& task;
  Environment& env;
  llm::Client* client = nullptr;        // required by pipeline and single
  const PipelineSpec* spec = nullptr;   // required by pipeline; single uses only its pricing
  std::string model{};                  // the run's model; a stage's `model` overrides it
  // Bounds the whole agent phase; nullopt: the task's [agent].timeout_sec.
  std::optional<std::chrono::milliseconds> timeout{};
  // Set by the orchestration on Ctrl-C/SIGTERM; the agent stops at its next step.
  const std::atomic<bool>* cancel = nullptr;
  // Where relative tool paths resolve (the image's WORKDIR).
  std::string workdir = "/app";
  // The tools stages may use; null: ToolRegistry::builtin().
  const ToolRegistry* tools = nullptr;
  // Extra variables for ${VAR} in [solution].env (an --env-file); the process env comes next.
  EnvMap env_lookup{};
  // ATIF session_id; "" : one is generated.
  std::string session_id{};
};

// A trial-level failure, named as Harbor names it.
struct AgentError {
  TrialErrorType type;  // kAgentTimeout, kCancelled, kLlm, kEnvironment, kSolutionNotFound, …
  std::string message;
};

struct StageUsage {
  std::string stage;
  std::string model;
  TokenUsage usage;
};

struct AgentOutcome {
  std::string agent_name;                // agent_name() of the agent that ran
  nlohmann::json trajectory;             // ATIF-v1.6 (see trajectory.h)
  nlohmann::json stage_traces = nlohmann::json::array();  // one entry per stage execution
  std::string topology;                  // stages as executed: "plan→execute"
  std::string final_output;              // the last stage's output
  int turns = 0;                         // model calls made by stages (handoff compression excluded)
  std::vector<StageUsage> stage_usage;   // per stage execution, in order
  TokenUsage total;                      // every model call, compression included
  std::optional<AgentError> error;
  std::chrono::milliseconds elapsed{0};  // wall time of run_agent

  double cost_usd() const { return total.cost_usd; }
};

// Runs the agent. See the top of this file for the error contract.
AgentOutcome run_agent(AgentKind kind, const AgentContext& ctx);

// Writes the trial's agent/trajectory.json and agent/stage_traces.json (pretty, atomically),
// creating agent/.
void write_agent_outputs(const AgentOutcome& outcome, const TrialDir& trial);

}  // namespace autoswarm::bench
