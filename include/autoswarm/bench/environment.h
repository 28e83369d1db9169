// Where a benchmark trial runs: a Docker container in real runs (DockerEnvironment), an
// in-memory fake in unit tests. Agents, tools and the verifier only ever see this interface.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace autoswarm::bench {

struct ExecResult {
  int exit_code = -1;      // 128 + signal when killed; -1 when it never ran
  bool timed_out = false;
  std::string out{};
  std::string err{};
};

class Environment {
 public:
  virtual ~Environment() = default;

  // Runs `argv` (no shell unless argv names one, e.g. {"bash", "-lc", cmd}) in the environment's
  // working directory (the image's WORKDIR, by convention /app), with `input` on stdin and `env`
  // added. Kills it after `timeout`. Throws Error only when the environment itself is gone.
  virtual ExecResult exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::string& input = "",
                          const std::map<std::string, std::string>& env = {}) = 0;

  // Writes `content` to the absolute `path`, creating parent directories. Throws Error.
  virtual void write_file(const std::string& path, const std::string& content) = 0;

  // Reads at most `max_bytes` of the file at `path`. Throws Error when it does not exist.
  virtual std::string read_file(const std::string& path, size_t max_bytes = 1 << 20) = 0;

  // Copies the host directory `from` (recursively) to `to` inside the environment.
  virtual void copy_in(const std::filesystem::path& from, const std::string& to) = 0;

  // A short name for logs ("container 3f2a…", "fake").
  virtual std::string describe() const = 0;
};

}  // namespace autoswarm::bench
