// One stage of an agent: the tool-calling loop. The model is called with the stage's system
// prompt, the user message and the stage's tools; tool calls run in the Environment and their
// results go back to the model, until it answers in text or a budget runs out.
//
// Budgets: at most stage.max_turns model calls for the stage, and RunBudget::turns_left for the
// whole run (shared by every stage execution, also ones running at the same time in parallel
// branches; each call takes one before it is made). The deadline and the cancel flag are checked
// before every model call and every tool call, and a model call in flight ends at the deadline
// (or when the client is aborted). The stage's output is its last text reply.
// run() may be called from several threads at once (parallel branches) and from inside a tool
// call (a stage offered as a tool).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/bench/agent/environment.h"
#include "autoswarm/bench/agent/stop_reason.h"
#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/bench/agent/token_usage.h"
#include "autoswarm/bench/agent/tool_registry.h"
#include "autoswarm/bench/agent/trajectory.h"

namespace autoswarm::llm {
class Client;
}

namespace autoswarm::bench {

// What a whole agent run may still spend, shared by its stages.
struct RunBudget {
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds timeout{0};   // for the error message
  const std::atomic<bool>* cancel = nullptr;
  std::atomic<int> turns_left = 0;        // model calls left for the run (max_total_turns)

  bool cancelled() const { return cancel && cancel->load(); }
  std::chrono::milliseconds time_left() const;
  // Takes one model call from turns_left; false when none is left.
  bool take_turn();
};

// Where one stage execution sits in the run.
struct ExecutionSite {
  // The stages above it when it runs as a tool, outermost first (tool calls see these plus it).
  std::vector<std::string> callers{};
  // Merged into every trajectory step's "extra" besides "stage" (attempt, branch, parent_call).
  nlohmann::json extra = nullptr;
};

struct StageResult {
  std::string output;          // the last text reply ("" when there was none)
  int turns = 0;               // model calls made
  TokenUsage usage;
  StageStopReason stop_reason = StageStopReason::kAnswered;
  std::optional<AgentError> error;  // set for timeout, cancelled and error
};

class AgentLoop {
 public:
  // `spec` provides prices (cost_usd); every reference must outlive the loop.
  AgentLoop(llm::Client& client, const ToolRegistry& tools, Environment& env, std::string workdir,
            AtifTrajectory& trajectory, const PipelineSpec& spec, RunBudget& budget);

  // Runs `stage` with `model` from `user_message` to its output.
  StageResult run(const StageSpec& stage, const std::string& model, const std::string& user_message,
                  const ExecutionSite& site = {});

  // The stage's system prompt plus the line asking for its output_format.
  static std::string system_prompt(const StageSpec& stage);

 private:
  llm::Client& client_;
  const ToolRegistry& tools_;
  Environment& env_;
  std::string workdir_;
  AtifTrajectory& trajectory_;
  const PipelineSpec& spec_;
  RunBudget& budget_;
};

}  // namespace autoswarm::bench
