// Harbor's names of the trial errors (trial_error_type.h).
#include "autoswarm/bench/trial_error_type.h"

#include "name_table.h"

namespace autoswarm::bench {
namespace {

constexpr NameEntry<TrialErrorType> kTrialErrorTypeNames[] = {
    {TrialErrorType::kAgentTimeout, "AgentTimeoutError"},
    {TrialErrorType::kLlm, "LlmError"},
    {TrialErrorType::kSolutionNotFound, "SolutionNotFoundError"},
    {TrialErrorType::kAgent, "AgentError"},
    {TrialErrorType::kEnvironmentBuild, "EnvironmentBuildError"},
    {TrialErrorType::kEnvironmentStart, "EnvironmentStartError"},
    {TrialErrorType::kEnvironment, "EnvironmentError"},
    {TrialErrorType::kVerifierTimeout, "VerifierTimeoutError"},
    {TrialErrorType::kRewardFileNotFound, "RewardFileNotFoundError"},
    {TrialErrorType::kRewardFileEmpty, "RewardFileEmptyError"},
    {TrialErrorType::kVerifierOutputParse, "VerifierOutputParseError"},
    {TrialErrorType::kCancelled, "CancelledError"},
    {TrialErrorType::kTrialOutput, "TrialOutputError"},
    {TrialErrorType::kInternal, "InternalError"},
};

}  // namespace

std::string to_string(TrialErrorType type) {
  return std::string(name_in(kTrialErrorTypeNames, type));
}

std::optional<TrialErrorType> parse_trial_error_type(std::string_view name) {
  return value_in(kTrialErrorTypeNames, name);
}

}  // namespace autoswarm::bench
