#include "autoswarm/bench/trials/docker_environment.h"

#include <spdlog/spdlog.h>

#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/util/files.h"

#include <random>
#include <sstream>

namespace autoswarm::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kStartTimeout = seconds(120);
constexpr milliseconds kFileTimeout = seconds(60);
constexpr milliseconds kCopyTimeout = seconds(300);
constexpr milliseconds kKillTimeout = seconds(30);
constexpr const char* kExecMarker = "AUTOSWARM_EXEC_ID";
constexpr int kKilledExitCode = 128 + 9;
// What the kernel takes for one argument (MAX_ARG_STRLEN, with its NUL), and what we allow for
// all of them and the -e variables together (ARG_MAX is usually 2 MiB, our own environment
// included): a bigger command fails in execve, on the host for the docker client and again in
// the container.
constexpr size_t kMaxArgumentBytes = 128 * 1024 - 1;
constexpr size_t kMaxCommandBytes = 1024 * 1024;
// A shell script longer than this (`bash -lc SCRIPT`) is written to a file in the container
// and sourced from there, so a command of any length runs.
constexpr size_t kInlineScriptBytes = 64 * 1024;
constexpr const char* kScriptFilePrefix = "/tmp/.autoswarm-script-";

std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += digits[rng() % 16];
  return s;
}

// Container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*.
std::string container_name(const std::string& hint) {
  std::string name = "autoswarm-";
  for (char c : hint.substr(0, 40)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    name += ok ? c : '-';
  }
  return name + (hint.empty() ? "" : "-") + random_hex(8);
}

std::string decimal(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// Kills every process inside the container whose environment carries the marker (so a timed-out
// command's children go too). The marker is passed as $1, never spliced into the script.
constexpr const char* kKillScript =
    "for p in /proc/[0-9]*; do "
    "if tr '\\000' '\\n' < \"$p/environ\" 2>/dev/null | grep -qx \"$1\"; then "
    "kill -9 \"${p#/proc/}\" 2>/dev/null; fi; done; true";

bool is_shell_script(const std::vector<std::string>& argv) {
  return argv.size() >= 3 && (argv[1] == "-c" || argv[1] == "-lc");
}

// Throws CommandTooLongError when `docker exec` with `argv` and `env` could not start.
void check_command_size(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& env, const std::string& where) {
  size_t total = 0;
  for (size_t i = 0; i < argv.size(); ++i) {
    total += argv[i].size() + 1;
    if (argv[i].size() > kMaxArgumentBytes) {
      throw CommandTooLongError(
          "cannot run " + argv[0] + " in " + where + ": its argument " + std::to_string(i) +
          " is " + std::to_string(argv[i].size()) + " bytes, over the " +
          std::to_string(kMaxArgumentBytes) +
          " the kernel takes for one argument; pass large data on stdin or write it to a file "
          "first");
    }
  }
  for (const auto& [k, v] : env) total += k.size() + v.size() + 5;  // "-e" "K=V"
  if (total > kMaxCommandBytes) {
    throw CommandTooLongError("cannot run " + argv[0] + " in " + where + ": its arguments are " +
                              std::to_string(total) + " bytes in all, over the " +
                              std::to_string(kMaxCommandBytes) +
                              " allowed; pass large data on stdin or write it to a file first");
  }
}

ExecResult exec_result(const util::ProcessResult& r, int exit_code, bool timed_out) {
  return ExecResult{.exit_code = exit_code,
                    .timed_out = timed_out,
                    .out = r.out,
                    .err = r.err,
                    .out_bytes = r.out_bytes != r.out.size() ? r.out_bytes : 0,
                    .err_bytes = r.err_bytes != r.err.size() ? r.err_bytes : 0};
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps{"CHOWN",  "DAC_OVERRIDE", "FOWNER",
                                             "FSETID", "SETUID",       "SETGID",
                                             "KILL",   "AUDIT_WRITE",  "NET_BIND_SERVICE"};
  return caps;
}

DockerEnvironment::DockerEnvironment(DockerCli docker, ContainerOptions options)
    : docker_(std::move(docker)), options_(std::move(options)) {
  std::string name = container_name(options_.name_hint);
  std::vector<std::string> args{"run", "-d", "--init", "--name", name, "--entrypoint", "sleep"};
  std::map<std::string, std::string> labels = ContainerOwner::self().labels();
  for (const auto& [k, v] : options_.labels) labels[k] = v;
  for (const auto& [k, v] : labels) args.insert(args.end(), {"--label", k + "=" + v});
  if (!options_.network) args.insert(args.end(), {"--network", "none"});
  if (options_.cpus > 0) args.insert(args.end(), {"--cpus", decimal(options_.cpus)});
  if (options_.memory_mb > 0) {
    args.insert(args.end(), {"--memory", std::to_string(options_.memory_mb) + "m"});
  }
  if (options_.gpus > 0) args.insert(args.end(), {"--gpus", std::to_string(options_.gpus)});
  if (options_.pids_limit > 0) {
    args.insert(args.end(), {"--pids-limit", std::to_string(options_.pids_limit)});
  }
  if (options_.drop_capabilities) args.insert(args.end(), {"--cap-drop", "ALL"});
  for (const auto& cap : options_.cap_add) args.insert(args.end(), {"--cap-add", cap});
  for (const auto& [k, v] : options_.env) args.insert(args.end(), {"-e", k + "=" + v});
  args.insert(args.end(), {options_.image, "infinity"});

  util::ProcessResult r = docker_.run(args, kStartTimeout, "", options_.cancel);
  if (r.exit_code == 0 && !r.timed_out && !r.cancelled) {
    id_ = r.out.substr(0, r.out.find_first_of(" \r\n"));
    spdlog::debug("started container {} ({}) from {}", id_.substr(0, 12), name, options_.image);
    return;
  }
  // A `docker run` cut short may still have created the container: it has our name.
  docker_.remove_containers({name});
  removed_ = true;
  if (r.cancelled)
    throw DockerError("starting a container from " + options_.image + ": interrupted");
  throw DockerError("cannot start a container from image " + options_.image + ": " +
                    (r.timed_out ? "docker did not answer within " +
                                       std::to_string(kStartTimeout.count() / 1000) + " s"
                                 : docker_message(r)));
}

DockerEnvironment::~DockerEnvironment() { remove(); }

void DockerEnvironment::remove() noexcept {
  if (removed_ || id_.empty()) return;
  removed_ = true;
  if (docker_.remove_containers({id_}) == 0) {
    spdlog::debug("removed container {}", id_.substr(0, 12));
  }
  if (!owned_image_.empty()) {
    try {
      util::ProcessResult r = docker_.run({"rmi", owned_image_}, kStartTimeout);
      if (r.exit_code != 0) {
        spdlog::warn("could not remove the snapshot image {}: {}", owned_image_.substr(0, 19),
                     docker_message(r));
      }
    } catch (const std::exception& e) {
      spdlog::warn("could not remove the snapshot image {}: {}", owned_image_.substr(0, 19),
                   e.what());
    }
  }
}

std::unique_ptr<DockerEnvironment> DockerEnvironment::fork(const std::string& name_hint) {
  if (removed_) throw Error(describe() + " has been removed");
  std::string image = docker_.check({"commit", id_}, kCopyTimeout,
                                    "snapshotting " + describe() + " (docker commit)");
  image = image.substr(0, image.find_first_of(" \r\n"));
  ContainerOptions options = options_;
  options.image = image;
  options.name_hint = name_hint;
  std::unique_ptr<DockerEnvironment> sibling;
  try {
    sibling = std::make_unique<DockerEnvironment>(docker_, options);
  } catch (...) {
    docker_.run({"rmi", image}, kStartTimeout);
    throw;
  }
  sibling->owned_image_ = image;
  sibling->user_ = user_;
  sibling->workdir_ = workdir_;
  return sibling;
}

std::unique_ptr<Environment> DockerEnvironment::branch(const std::string& name_hint) {
  return fork(name_hint);
}

void DockerEnvironment::continue_as(std::unique_ptr<Environment> sibling) {
  auto* other = dynamic_cast<DockerEnvironment*>(sibling.get());
  if (!other) throw Error(describe() + " can only continue as another container");
  if (other->removed_) throw Error(other->describe() + " has been removed");
  remove();
  id_ = other->id_;
  owned_image_ = other->owned_image_;
  options_.image = other->options_.image;
  removed_ = false;
  other->removed_ = true;  // its container and snapshot are ours now
  spdlog::debug("continuing in {}", describe());
}

std::string DockerEnvironment::describe() const {
  return "container " + id_.substr(0, 12) + " (" + options_.image + ")";
}

util::ProcessResult DockerEnvironment::docker_exec(
    const std::vector<std::string>& argv, milliseconds timeout, const std::string& input,
    const std::map<std::string, std::string>& env, size_t max_output) const {
  if (removed_) throw Error(describe() + " has been removed");
  std::vector<std::string> args{"exec", "-i"};
  if (!user_.empty()) args.insert(args.end(), {"-u", user_});
  for (const auto& [k, v] : env) args.insert(args.end(), {"-e", k + "=" + v});
  args.push_back(id_);
  args.insert(args.end(), argv.begin(), argv.end());
  return docker_.run(args, timeout, input, options_.cancel, max_output);
}

void DockerEnvironment::throw_if_gone(const util::ProcessResult& r, const std::string& what) const {
  if (r.cancelled) throw Error(what + " in " + describe() + ": interrupted");
  if (r.exit_code == 0 || r.timed_out) return;
  // docker's own failures (not the command's) start like this; then look at the container.
  if (r.err.find("Error response from daemon") == std::string::npos &&
      r.err.find("No such container") == std::string::npos) {
    return;
  }
  util::ProcessResult state =
      docker_.run({"container", "inspect", "--format", "{{.State.Running}}", id_}, kFileTimeout);
  if (state.exit_code == 0 && state.out.starts_with("true")) return;
  throw Error(what + ": " + describe() + " is gone: " + docker_message(r));
}

void DockerEnvironment::kill_marked(const std::string& marker) const {
  std::vector<std::string> args{"exec",      "-u", "0",
                                id_,         "sh", "-c",
                                kKillScript, "sh", std::string(kExecMarker) + "=" + marker};
  util::ProcessResult r = docker_.run(args, kKillTimeout);
  if (r.exit_code != 0) {
    spdlog::warn("could not stop a timed-out command in {}: {}", describe(), docker_message(r));
  }
}

ExecResult DockerEnvironment::exec(const std::vector<std::string>& argv, milliseconds timeout,
                                   const std::string& input,
                                   const std::map<std::string, std::string>& env) {
  if (argv.empty()) throw Error("exec in " + describe() + ": empty command");
  std::string marker = random_hex(16);
  std::map<std::string, std::string> full_env = env;
  full_env[kExecMarker] = marker;
  std::vector<std::string> run_argv = argv;
  std::string script_file;
  if (is_shell_script(argv) && argv[2].size() > kInlineScriptBytes) {
    // `. FILE` runs the script in the same shell: $0, the arguments and `exit` stay as with -c.
    script_file = kScriptFilePrefix + marker;
    write_file(script_file, argv[2]);
    run_argv[2] = ". " + script_file;
  }
  check_command_size(run_argv, full_env, describe());
  util::ProcessResult r = docker_exec(run_argv, timeout, input, full_env, kExecMaxOutput);
  throw_if_gone(r, "running " + argv[0]);
  if (r.timed_out) kill_marked(marker);
  if (!script_file.empty()) {
    docker_exec({"rm", "-f", "--", script_file}, kFileTimeout, "", {}, kExecMaxOutput);
  }
  if (r.timed_out) return exec_result(r, kKilledExitCode, true);
  return exec_result(r, r.exit_code, false);
}

void DockerEnvironment::write_file(const std::string& path, const std::string& content) {
  // The path is $1 and the content comes on stdin: nothing from the caller reaches the script.
  util::ProcessResult r =
      docker_exec({"sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\"", "sh", path},
                  kFileTimeout, content, {}, kExecMaxOutput);
  throw_if_gone(r, "writing " + path);
  if (r.exit_code != 0 || r.timed_out) {
    throw Error("cannot write " + path + " in " + describe() + ": " + docker_message(r));
  }
}

std::string DockerEnvironment::read_file(const std::string& path, size_t max_bytes) {
  util::ProcessResult r =
      docker_exec({"head", "-c", std::to_string(max_bytes), "--", path}, kFileTimeout, "", {},
                  std::max(max_bytes + 2, kExecMaxOutput));
  throw_if_gone(r, "reading " + path);
  if (r.exit_code != 0 || r.timed_out) {
    throw Error("cannot read " + path + " in " + describe() + ": " + docker_message(r));
  }
  return r.out;
}

void DockerEnvironment::copy_in(const std::filesystem::path& from, const std::string& to) {
  std::error_code ec;
  bool is_dir = std::filesystem::is_directory(from, ec);
  if (!is_dir && !std::filesystem::exists(from, ec)) {
    throw FileError("cannot copy " + from.string() + " into " + describe() + ": it does not exist");
  }
  if (removed_) throw Error(describe() + " has been removed");
  // `docker cp DIR/. id:TO` copies DIR's contents into TO, creating TO when its parent exists.
  // Only when the parent is missing too does it take a mkdir and a second try.
  std::string source = is_dir ? from.string() + "/." : from.string();
  auto copy = [&] {
    return docker_.run({"cp", source, id_ + ":" + to}, kCopyTimeout, "", options_.cancel);
  };
  util::ProcessResult r = copy();
  throw_if_gone(r, "copying " + from.string());
  if (r.exit_code != 0 && r.err.find("Could not find the file") != std::string::npos) {
    std::string dir = std::filesystem::path(to).parent_path().string();
    util::ProcessResult mk = docker_.run({"exec", "-u", "0", id_, "mkdir", "-p", "--", dir},
                                         kFileTimeout, "", options_.cancel);
    throw_if_gone(mk, "creating " + dir);
    if (mk.exit_code != 0) {
      throw Error("cannot create " + dir + " in " + describe() + ": " + docker_message(mk));
    }
    r = copy();
    throw_if_gone(r, "copying " + from.string());
  }
  if (r.exit_code != 0 || r.timed_out) {
    throw Error("cannot copy " + from.string() + " to " + to + " in " + describe() + ": " +
                docker_message(r));
  }
}

std::vector<std::string> DockerEnvironment::copy_out(const std::string& from,
                                                    const std::filesystem::path& to) {
  if (removed_) throw Error(describe() + " has been removed");
  std::error_code ec;
  if (!std::filesystem::is_empty(to, ec) || ec) {
    throw Error("cannot copy " + from + " out of " + describe() + " to " + to.string() + ": " +
                (ec ? ec.message() : "it is not an empty directory"));
  }
  util::ProcessResult r =
      docker_.run({"cp", id_ + ":" + from, to.string()}, kCopyTimeout, "", options_.cancel);
  throw_if_gone(r, "copying " + from);
  if (r.exit_code != 0 || r.timed_out) {
    throw Error("cannot copy " + from + " out of " + describe() + " to " + to.string() + ": " +
                docker_message(r));
  }
  // docker cp recreates links (to anywhere on the host) and FIFOs as they were in the container.
  return util::keep_only_regular_files(to);
}

std::string DockerEnvironment::working_directory() {
  if (workdir_.empty()) {
    std::string out =
        docker_.check({"container", "inspect", "--format", "{{.Config.WorkingDir}}", id_},
                      kFileTimeout, "inspecting " + describe());
    out = out.substr(0, out.find_first_of("\r\n"));
    workdir_ = out.empty() ? "/" : out;
  }
  return workdir_;
}

}  // namespace autoswarm::bench
