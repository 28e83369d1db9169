// What made a trial fail, as Harbor names it: the `exception_type` of a trial's result.json,
// the first word of its exception.txt, the keys of a job's exception_stats and errors_by_type.
// The agent layer raises some (timeouts, LLM failures), the trials layer the rest (image,
// container, verifier); the spellings are in one table, and files keep exactly these strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace autoswarm::bench {

enum class TrialErrorType {
  // The agent phase.
  kAgentTimeout,         // AgentTimeoutError: the agent ran past [agent].timeout_sec
  kLlm,                  // LlmError: the upstream failed a model call
  kSolutionNotFound,     // SolutionNotFoundError: the oracle found no solution/solve.sh
  kAgent,                // AgentError: every branch of a parallel group failed
  // The environment.
  kEnvironmentBuild,     // EnvironmentBuildError: the task's image could not be built or pulled
  kEnvironmentStart,     // EnvironmentStartError: the container did not start or could not be readied
  kEnvironment,          // EnvironmentError: the container vanished or docker failed mid-trial
  // The verifier.
  kVerifierTimeout,      // VerifierTimeoutError: tests/test.sh ran past [verifier].timeout_sec
  kRewardFileNotFound,   // RewardFileNotFoundError: the tests wrote no reward file
  kRewardFileEmpty,      // RewardFileEmptyError: the reward file is empty
  kVerifierOutputParse,  // VerifierOutputParseError: the reward file holds no reward
  // The run.
  kCancelled,            // CancelledError: the run was interrupted (Ctrl-C, SIGTERM)
  kTrialOutput,          // TrialOutputError: the trial directory could not be written
  kInternal,             // InternalError: a bug in AutoSwarm ("please report this")
};

// "AgentTimeoutError", "LlmError", … as above.
std::string to_string(TrialErrorType type);

// The type Harbor's name stands for; nullopt for any other text.
std::optional<TrialErrorType> parse_trial_error_type(std::string_view name);

}  // namespace autoswarm::bench
