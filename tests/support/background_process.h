// A program started in the background for a test (a server, a long run to interrupt): read its
// stdout line by line, signal it, wait for its exit code. Killed when the object goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autoswarm::testing {

class BackgroundProcess {
 public:
  // Starts argv[0] (searched in PATH) with `env` added to the environment; stderr is kept in
  // memory and returned by wait(). Throws std::runtime_error when it cannot start.
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // The next line of stdout (without "\n"), or nothing at end of output or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads lines until one contains `needle`; returns it, or nothing on timeout / end of output.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void signal(int sig);
  // Waits for the exit (killing it with SIGKILL after `timeout`); returns the exit status, or
  // 128 + signal. Also collects the rest of stdout and all of stderr.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  pid_t pid() const { return pid_; }
  const std::string& err() const { return err_; }
  const std::string& rest_of_out() const { return out_; }

 private:
  void pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> status_;
};

}  // namespace autoswarm::testing
