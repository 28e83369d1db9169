// The `docker` command-line client as AutoSwarm drives it: every call an argument vector with a
// timeout (never a shell string), so DOCKER_HOST and docker contexts work as in the user's shell.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "autoswarm/util/error.h"
#include "autoswarm/util/subprocess.h"

namespace autoswarm::bench {

// No docker CLI, or no daemon answering it. The message says how to fix that.
class DockerUnavailableError : public Error {
 public:
  using Error::Error;
};

// A docker command failed or timed out. The message names what was being done and quotes
// docker's own error.
class DockerError : public Error {
 public:
  using Error::Error;
};

// The label every container AutoSwarm starts carries, with the job's name as its value, so a
// run (or the user: `docker ps -a --filter label=autoswarm.job`) can always find them.
inline constexpr const char* kJobLabel = "autoswarm.job";

class DockerCli {
 public:
  // `program`: the client to run; default $AUTOSWARM_DOCKER, else "docker" on the PATH.
  explicit DockerCli(std::string program = default_program());
  static std::string default_program();
  const std::string& program() const { return program_; }

  // What run() keeps in memory of each of docker's output streams by default (its head and
  // tail, see util::ProcessOptions::max_output), whatever a build or a command prints.
  static constexpr size_t kDefaultMaxOutput = 2 << 20;

  // Runs `docker ARGS…` and returns what happened. Throws DockerUnavailableError when the
  // client cannot be started (not installed, not executable), DockerError when the command is
  // over the kernel's argument limit. `cancel` turning true kills it (result.cancelled).
  util::ProcessResult run(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                          const std::string& input = "",
                          const std::atomic<bool>* cancel = nullptr,
                          size_t max_output = kDefaultMaxOutput) const;

  // Like run(), but throws DockerError "<what>: <docker's stderr>" unless it exits 0 in time.
  // Returns stdout.
  std::string check(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                    const std::string& what, const std::atomic<bool>* cancel = nullptr) const;

  // Throws DockerUnavailableError unless a daemon answers; returns its version.
  std::string ping(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

  bool image_exists(const std::string& ref) const;

  // False on engines started with --bridge=none (then builds and runs need --network none).
  bool has_bridge_network() const;

  // IDs of the containers, running or not, carrying `label` ("key" or "key=value").
  std::vector<std::string> containers_with_label(const std::string& label) const;

  // `docker rm -f -v` for each (in one call); logs, never throws. Returns how many remain.
  size_t remove_containers(const std::vector<std::string>& ids) const;

 private:
  std::string program_;
};

// The first non-empty line of docker's stderr (or stdout), trimmed: what to quote in errors.
std::string docker_message(const util::ProcessResult& result);

}  // namespace autoswarm::bench
