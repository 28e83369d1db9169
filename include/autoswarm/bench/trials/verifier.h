// The verifier phase of a trial, Harbor's contract: copy tests/ to /tests, run
// `bash /tests/test.sh` with [verifier].env under [verifier].timeout_sec, and read the reward
// as Harbor's verifier does: /logs/verifier/reward.json (a flat map of named numbers, kept
// whole) when it exists, else /logs/verifier/reward.txt (one number: {"reward": x}), else
// /logs/reward.txt (older task sets).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/agent/environment.h"
#include "autoswarm/bench/spec/task.h"
#include "autoswarm/bench/trial_error_type.h"

namespace autoswarm::bench {

struct VerifierOutcome {
  // The rewards read, e.g. {"reward": 1.0, "quality": 0.8}; null when none could be read.
  nlohmann::json rewards;
  std::string reward_txt;                 // the reward.txt that was read, verbatim ("" if none)
  std::optional<std::string> reward_json; // /logs/verifier/reward.json verbatim, when written
  std::string test_output;                // test.sh's stdout and stderr, interleaved
  int exit_code = -1;                     // test.sh's
  // What went wrong: kRewardFileNotFound, kRewardFileEmpty, kVerifierOutputParse,
  // kVerifierTimeout; none when a reward was read.
  std::optional<TrialErrorType> error_type;
  std::string error_message;

  // reward_of(rewards) (job_dir.h): the `reward` key, the only key, or all keys at 1.
  double reward() const;
};

// Parses reward.txt content: one number (surrounding whitespace allowed). Nullopt otherwise.
std::optional<double> parse_reward_txt(const std::string& text);

struct VerifierOptions {
  EnvMap env_lookup{};                // resolves ${VAR} in [verifier].env before the process env
  // Called after /tests and /logs/verifier are ready, before test.sh runs: where a Docker
  // trial switches to [verifier].user.
  std::function<void()> before_tests{};
};

// Runs the verifier. Throws Error only when the environment itself fails (the container is
// gone); everything about the tests and their reward is in the outcome.
VerifierOutcome run_verifier(Environment& env, const Task& task,
                             const VerifierOptions& options = {});

}  // namespace autoswarm::bench
