// The spellings of the stop reasons (stop_reason.h).
#include "autoswarm/bench/agent/stop_reason.h"

#include "../name_table.h"

namespace autoswarm::bench {
namespace {

constexpr NameEntry<StageStopReason> kStageStopReasonNames[] = {
    {StageStopReason::kAnswered, "answered"},
    {StageStopReason::kMaxTurns, "max_turns"},
    {StageStopReason::kMaxTotalTurns, "max_total_turns"},
    {StageStopReason::kTimeout, "timeout"},
    {StageStopReason::kCancelled, "cancelled"},
    {StageStopReason::kError, "error"},
};

constexpr NameEntry<PipelineStopReason> kPipelineStopReasonNames[] = {
    {PipelineStopReason::kCompleted, "completed"},
    {PipelineStopReason::kMaxTotalTurns, "max_total_turns"},
    {PipelineStopReason::kTimeout, "timeout"},
    {PipelineStopReason::kCancelled, "cancelled"},
    {PipelineStopReason::kError, "error"},
};

}  // namespace

std::string to_string(StageStopReason reason) {
  return std::string(name_in(kStageStopReasonNames, reason));
}

std::string to_string(PipelineStopReason reason) {
  return std::string(name_in(kPipelineStopReasonNames, reason));
}

std::optional<StageStopReason> parse_stage_stop_reason(std::string_view name) {
  return value_in(kStageStopReasonNames, name);
}

std::optional<PipelineStopReason> parse_pipeline_stop_reason(std::string_view name) {
  return value_in(kPipelineStopReasonNames, name);
}

}  // namespace autoswarm::bench
