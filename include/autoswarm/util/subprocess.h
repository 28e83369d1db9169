// Runs a program from an argument vector (never through a shell), with a timeout, capturing
// its output. Used for docker and by the tests that drive the `autoswarm` binary.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace autoswarm::util {

struct ProcessOptions {
  std::chrono::milliseconds timeout{0};          // 0: no limit
  std::string input;                              // written to the child's stdin, then closed
  std::filesystem::path working_directory;        // empty: inherit
  std::map<std::string, std::string> env;         // added to (or replacing) the inherited env
  std::vector<std::string> unset_env;             // removed from the inherited env
  const std::atomic<bool>* cancel = nullptr;      // when it turns true, the child is killed
};

struct ProcessResult {
  int exit_code = -1;        // the exit status, or 128 + signal number when killed
  bool timed_out = false;    // killed (with its whole process group) after the timeout
  bool cancelled = false;    // killed (likewise) because options.cancel turned true
  std::string out;
  std::string err;
};

// Throws Error when the program cannot be started (names argv[0] and the reason).
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace autoswarm::util
