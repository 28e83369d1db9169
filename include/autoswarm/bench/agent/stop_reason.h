// Why a stage execution ended (each stage trace's `stop_reason`) and why the whole pipeline
// ended (the trajectory's final_metrics.extra.stop_reason), with their spellings in the files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace autoswarm::bench {

enum class StageStopReason {
  kAnswered,      // "answered": the model replied without tool calls; that reply is the output
  kMaxTurns,      // "max_turns": the stage's own max_turns were spent
  kMaxTotalTurns, // "max_total_turns": the pipeline's max_total_turns were spent
  kTimeout,       // "timeout": the agent's deadline passed (AgentTimeoutError)
  kCancelled,     // "cancelled": the run was interrupted (CancelledError)
  kError,         // "error": the model call or the environment failed (LlmError, EnvironmentError)
};

enum class PipelineStopReason {
  kCompleted,     // "completed": the flow ran to its end
  kMaxTotalTurns, // "max_total_turns": stopped at `stopped_at`, the stage that could not run or finish
  kTimeout,       // "timeout"
  kCancelled,     // "cancelled"
  kError,         // "error"
};

std::string to_string(StageStopReason reason);
std::string to_string(PipelineStopReason reason);

// The reason spelt `name`; nullopt for any other text.
std::optional<StageStopReason> parse_stage_stop_reason(std::string_view name);
std::optional<PipelineStopReason> parse_pipeline_stop_reason(std::string_view name);

}  // namespace autoswarm::bench
