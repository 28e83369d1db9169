// Runs a program from an argument vector (never through a shell), with a timeout, capturing
// its output. Used for docker and by the tests that drive the `autoswarm` binary.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "autoswarm/util/error.h"

namespace autoswarm::util {

// The program could not be started: not found, not executable, or its arguments are over the
// kernel's limit (E2BIG: 128 KiB for one argument). The message names argv[0] and the reason.
class ProcessStartError : public Error {
 public:
  ProcessStartError(const std::string& message, int error_number)
      : Error(message), error_number_(error_number) {}
  int error_number() const { return error_number_; }  // the errno of the failed exec

 private:
  int error_number_;
};

struct ProcessOptions {
  std::chrono::milliseconds timeout{0};          // 0: no limit
  std::string input;                              // written to the child's stdin, then closed
  std::filesystem::path working_directory;        // empty: inherit
  std::map<std::string, std::string> env;         // added to (or replacing) the inherited env
  std::vector<std::string> unset_env;             // removed from the inherited env
  const std::atomic<bool>* cancel = nullptr;      // when it turns true, the child is killed
  // 0: stdout and stderr are kept whole. Else each keeps at most about this many bytes in
  // memory however much the child writes: its first and its last max_output / 2 bytes, the
  // middle replaced by "\n[... N bytes omitted ...]\n" (the child is read to its end all the
  // same, so it never blocks on a full pipe).
  size_t max_output = 0;
};

struct ProcessResult {
  int exit_code = -1;        // the exit status, or 128 + signal number when killed
  bool timed_out = false;    // killed (with its whole process group) after the timeout
  bool cancelled = false;    // killed (likewise) because options.cancel turned true
  std::string out;
  std::string err;
  size_t out_bytes = 0;      // how many bytes the child wrote to stdout in all
  size_t err_bytes = 0;      // and to stderr
};

// Throws ProcessStartError when the program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace autoswarm::util
