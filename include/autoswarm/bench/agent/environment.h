// Where a benchmark trial runs: a Docker container in real runs (DockerEnvironment), an
// in-memory fake in unit tests. Agents, tools, the verifier and the trial only ever see this
// interface.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autoswarm/util/error.h"

namespace autoswarm::bench {

struct ExecResult {
  int exit_code = -1;      // 128 + signal when killed; -1 when it never ran
  bool timed_out = false;
  // What the command wrote. An environment may keep only the head and tail of a stream that
  // is very long (the middle replaced by "[... N bytes omitted ...]"): out_bytes and err_bytes
  // then say how long the whole stream was (0: out and err hold all of it).
  std::string out{};
  std::string err{};
  size_t out_bytes = 0;
  size_t err_bytes = 0;
};

// The command cannot be started because an argument (or all of them together) is over what
// the kernel takes (128 KiB for one argument): the environment itself is fine, and the caller
// (a tool) says so to the model. Large data goes through stdin or a file.
class CommandTooLongError : public Error {
 public:
  using Error::Error;
};

class Environment {
 public:
  virtual ~Environment() = default;

  // Runs `argv` (no shell unless argv names one, e.g. {"bash", "-lc", cmd}) in the environment's
  // working directory (the image's WORKDIR, by convention /app), with `input` on stdin and `env`
  // added. Kills it after `timeout`. Throws CommandTooLongError when argv cannot be started for
  // its size, else Error only when the environment itself is gone.
  virtual ExecResult exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::string& input = "",
                          const std::map<std::string, std::string>& env = {}) = 0;

  // Writes `content` to the absolute `path`, creating parent directories. Throws Error.
  virtual void write_file(const std::string& path, const std::string& content) = 0;

  // Reads at most `max_bytes` of the file at `path`. Throws Error when it does not exist.
  virtual std::string read_file(const std::string& path, size_t max_bytes = 1 << 20) = 0;

  // Copies the host directory `from` (recursively) to `to` inside the environment.
  virtual void copy_in(const std::filesystem::path& from, const std::string& to) = 0;

  // Copies `from` out to the existing, empty host directory `to`: a directory's contents when
  // `from` ends in "/." ("/logs/agent/."), else that file or directory into `to`. Only regular
  // files and directories arrive on the host: a symbolic link, FIFO, socket or device the
  // environment holds there is left out, and named in the list returned ("path (a symbolic
  // link)"), so nothing copied out can point at a host file. Throws Error.
  virtual std::vector<std::string> copy_out(const std::string& from,
                                            const std::filesystem::path& to) = 0;

  // The user that execs, reads and writes run as from now on ([agent].user, [verifier].user);
  // "": the environment's default user.
  virtual void set_user(std::string user) = 0;

  // A short name for logs ("container 3f2a…", "fake").
  virtual std::string describe() const = 0;

  // Parallel branches that can change files each work in a copy (pipeline_spec.h, `parallel`):
  //
  //   auto a = env.branch("solve_a"), b = env.branch("solve_b");   // copies of env's files now
  //   ... each branch changes its own copy ...
  //   env.continue_as(std::move(a));   // env now holds a's state; b is dropped, and so removed
  //
  // branch() returns a sibling starting from this environment's files now, which changes
  // independently of it. continue_as() makes this object continue as `sibling` (one of its
  // branches): what this environment held is discarded. Both throw Error; by default an
  // environment cannot be copied.
  virtual std::unique_ptr<Environment> branch(const std::string& name_hint);
  virtual void continue_as(std::unique_ptr<Environment> sibling);
};

}  // namespace autoswarm::bench
