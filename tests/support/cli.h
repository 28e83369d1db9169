// Running programs from tests: the autoswarm binary under test, and git for the tests of
// what `bench record` commits. Header-only: AUTOSWARM_BINARY is defined per test executable.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "autoswarm/util/subprocess.h"

namespace autoswarm::testing {

// Runs `autoswarm ARGS...` (30 s at most unless `options` says otherwise). The user's own
// AUTOSWARM_HOME and OPENAI_API_KEY never leak in, unless `options.env` sets them.
inline util::ProcessResult run_autoswarm(std::vector<std::string> args, util::ProcessOptions options = {}) {
  args.insert(args.begin(), AUTOSWARM_BINARY);
  if (options.timeout.count() == 0) options.timeout = std::chrono::seconds(30);
  for (const char* name : {"AUTOSWARM_HOME", "OPENAI_API_KEY"}) {
    if (!options.env.contains(name)) options.unset_env.push_back(name);
  }
  return util::run_process(args, options);
}

// The same, in the working directory `cwd`.
inline util::ProcessResult run_autoswarm(std::vector<std::string> args, const std::filesystem::path& cwd) {
  util::ProcessOptions options;
  options.working_directory = cwd;
  return run_autoswarm(std::move(args), std::move(options));
}

// `git -C DIR ARGS...`, which must succeed.
inline void git(const std::filesystem::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir.string()});
  util::ProcessOptions options;
  options.timeout = std::chrono::seconds(20);
  auto r = util::run_process(args, options);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// A new git repository in `dir` with a committer and no signing, ready for `git commit`.
inline void git_init(const std::filesystem::path& dir) {
  git(dir, {"init", "-q"});
  git(dir, {"config", "user.email", "test@example.com"});
  git(dir, {"config", "user.name", "Test"});
  git(dir, {"config", "commit.gpgsign", "false"});
}

}  // namespace autoswarm::testing
