#include "autoswarm/bench/trials/docker_cli.h"
#include "autoswarm/util/text.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace autoswarm::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kQueryTimeout = seconds(30);
constexpr milliseconds kRemoveTimeout = seconds(60);
constexpr size_t kMessageLines = 12;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = std::string(util::trim(line));
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

std::string docker_message(const util::ProcessResult& result) {
  std::vector<std::string> lines = lines_of(result.err);
  if (lines.empty()) lines = lines_of(result.out);
  // docker's usage hint says nothing about what went wrong.
  std::erase_if(lines, [](const std::string& l) { return l.starts_with("See '"); });
  if (lines.empty()) {
    if (result.timed_out) return "timed out";
    if (result.cancelled) return "interrupted";
    return "exit code " + std::to_string(result.exit_code) + " and no message";
  }
  size_t first = lines.size() > kMessageLines ? lines.size() - kMessageLines : 0;
  std::string message;
  for (size_t i = first; i < lines.size(); ++i) message += (i == first ? "" : "\n  ") + lines[i];
  return message;
}

DockerCli::DockerCli(std::string program) : program_(std::move(program)) {}

std::string DockerCli::default_program() {
  const char* env = std::getenv("AUTOSWARM_DOCKER");
  return env != nullptr && *env != '\0' ? env : "docker";
}

util::ProcessResult DockerCli::run(const std::vector<std::string>& args, milliseconds timeout,
                                   const std::string& input, const std::atomic<bool>* cancel,
                                   size_t max_output) const {
  std::vector<std::string> argv{program_};
  argv.insert(argv.end(), args.begin(), args.end());
  util::ProcessOptions options;
  options.timeout = timeout;
  options.input = input;
  options.cancel = cancel;
  options.max_output = max_output;
  try {
    return util::run_process(argv, options);
  } catch (const util::ProcessStartError& e) {
    // The client is there; what it was asked to run is not something any client could start.
    if (e.error_number() == E2BIG) {
      throw DockerError("cannot run `" + program_ + " " + (args.empty() ? "" : args[0]) +
                        "`: its arguments are over the kernel's limit (128 KiB for one, about " +
                        std::to_string(::sysconf(_SC_ARG_MAX) / 1024) +
                        " KiB for all): large data must go through stdin or a file");
    }
    throw DockerUnavailableError(
        "cannot run the docker client '" + program_ + "' (" + e.what() +
        "): install it (sudo apt-get install docker.io, or scripts/setup-docker) or set "
        "AUTOSWARM_DOCKER to its path");
  }
}

std::string DockerCli::check(const std::vector<std::string>& args, milliseconds timeout,
                             const std::string& what, const std::atomic<bool>* cancel) const {
  util::ProcessResult r = run(args, timeout, "", cancel);
  if (r.cancelled) throw DockerError(what + ": interrupted");
  if (r.timed_out) {
    throw DockerError(what + ": did not finish within " + std::to_string(timeout.count() / 1000) +
                      " s");
  }
  if (r.exit_code != 0) throw DockerError(what + ": " + docker_message(r));
  return r.out;
}

std::string DockerCli::ping(milliseconds timeout) const {
  util::ProcessResult r = run({"version", "--format", "{{.Server.Version}}"}, timeout);
  if (r.exit_code == 0 && !r.timed_out) return std::string(util::trim(r.out));
  const char* host = std::getenv("DOCKER_HOST");
  std::string where = host != nullptr && *host != '\0'
                          ? std::string("DOCKER_HOST=") + host
                          : "the current docker context (`docker context ls`)";
  throw DockerUnavailableError(
      "cannot reach the docker daemon: " +
      (r.timed_out
           ? std::string("no answer within ") + std::to_string(timeout.count() / 1000) + " s"
           : docker_message(r)) +
      "\n  start it with `sudo dockerd` (or `sudo scripts/setup-docker`, which also builds "
      "autoswarm-base), or check " +
      where);
}

bool DockerCli::image_exists(const std::string& ref) const {
  util::ProcessResult r = run({"image", "inspect", "--format", "{{.Id}}", ref}, kQueryTimeout);
  return r.exit_code == 0 && !r.timed_out;
}

bool DockerCli::has_bridge_network() const {
  util::ProcessResult r =
      run({"network", "inspect", "--format", "{{.Name}}", "bridge"}, kQueryTimeout);
  return r.exit_code == 0 && !r.timed_out;
}

std::vector<std::string> DockerCli::containers_with_label(const std::string& label) const {
  std::string out = check({"ps", "-a", "-q", "--no-trunc", "--filter", "label=" + label},
                          kQueryTimeout, "listing containers labelled " + label);
  return lines_of(out);
}

size_t DockerCli::remove_containers(const std::vector<std::string>& ids) const {
  if (ids.empty()) return 0;
  std::vector<std::string> args{"rm", "-f", "-v"};
  args.insert(args.end(), ids.begin(), ids.end());
  try {
    util::ProcessResult r = run(args, kRemoveTimeout);
    if (r.exit_code == 0 && !r.timed_out) return 0;
    // Some may be gone already ("No such container"): count what is really left.
    size_t left = 0;
    for (const auto& id : ids) {
      util::ProcessResult still =
          run({"container", "inspect", "--format", "{{.Id}}", id}, kQueryTimeout);
      if (still.exit_code == 0) {
        ++left;
        spdlog::warn("could not remove container {}: {} (remove it with `docker rm -f {}`)",
                     id.substr(0, 12), docker_message(r), id.substr(0, 12));
      }
    }
    return left;
  } catch (const Error& e) {
    spdlog::warn("could not remove {} container(s): {}", ids.size(), e.what());
    return ids.size();
  }
}

}  // namespace autoswarm::bench
