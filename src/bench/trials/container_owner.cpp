// Owner labels on containers, the sweep of containers whose owner is gone, and the cleanup a
// signal handler can start.
#include "autoswarm/bench/trials/container_owner.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "autoswarm/util/text.h"

extern char** environ;

namespace autoswarm::bench {
namespace {

std::string first_line_of(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return std::string(util::trim(line));
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  std::string name(buf);
  std::replace(name.begin(), name.end(), '/', '-');  // the id's separator
  return name;
}

// Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot; 0 when
// there is no such process. The command name (field 2) may hold spaces and parentheses: the
// fields after it start after its last ')'.
unsigned long long process_start_ticks(long pid) {
  std::string stat = first_line_of("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

}  // namespace

const ContainerOwner& ContainerOwner::self() {
  static const ContainerOwner owner = [] {
    ContainerOwner o;
    o.host = host_name();
    o.boot_id = first_line_of("/proc/sys/kernel/random/boot_id");
    o.pid = static_cast<long>(::getpid());
    o.start_ticks = process_start_ticks(o.pid);
    return o;
  }();
  return owner;
}

ContainerOwner ContainerOwner::parse(const std::string& value) {
  ContainerOwner o;
  std::vector<std::string> parts;
  std::istringstream in(value);
  for (std::string part; std::getline(in, part, '/');) parts.push_back(part);
  if (parts.size() != 4) return o;
  char* end = nullptr;
  long pid = std::strtol(parts[2].c_str(), &end, 10);
  if (end == parts[2].c_str() || *end != '\0' || pid <= 0) return o;
  o.host = parts[0];
  o.boot_id = parts[1];
  o.pid = pid;
  o.start_ticks = std::strtoull(parts[3].c_str(), nullptr, 10);
  return o;
}

std::string ContainerOwner::id() const {
  return host + "/" + boot_id + "/" + std::to_string(pid) + "/" + std::to_string(start_ticks);
}

std::map<std::string, std::string> ContainerOwner::labels() const {
  return {{kOwnerLabel, id()},
          {"autoswarm.owner.host", host},
          {"autoswarm.owner.boot", boot_id},
          {"autoswarm.owner.pid", std::to_string(pid)},
          {"autoswarm.owner.start", std::to_string(start_ticks)}};
}

bool ContainerOwner::alive() const {
  const ContainerOwner& me = self();
  if (host != me.host) return true;
  if (boot_id != me.boot_id) return false;
  unsigned long long started = process_start_ticks(pid);
  return started != 0 && started == start_ticks;
}

std::string OrphanSweep::message() const {
  if (found == 0) return "";
  std::string pids;
  for (long pid : owner_pids) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
  std::string what = std::to_string(found) + (found == 1 ? " container" : " containers");
  std::string head = removed == found ? "removed " + what
                                      : "removed " + std::to_string(removed) + " of " + what;
  return head + " left by bench runs that are gone (pid " + pids + ")";
}

OrphanSweep remove_orphaned_containers(const DockerCli& docker, std::chrono::milliseconds timeout) {
  const ContainerOwner& me = ContainerOwner::self();
  std::string listing =
      docker.check({"ps", "-a", "--no-trunc", "--filter", "label=autoswarm.owner.host=" + me.host,
                    "--format", std::string("{{.ID}} {{.Label \"") + kOwnerLabel + "\"}}"},
                   timeout, "listing the containers of bench runs");
  OrphanSweep sweep;
  std::vector<std::string> ids;
  std::set<long> pids;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    ContainerOwner owner = ContainerOwner::parse(std::string(util::trim(line.substr(space + 1))));
    if (owner.pid == 0 || owner.alive()) continue;
    ids.push_back(line.substr(0, space));
    pids.insert(owner.pid);
  }
  sweep.found = ids.size();
  sweep.owner_pids.assign(pids.begin(), pids.end());
  if (!ids.empty()) sweep.removed = ids.size() - docker.remove_containers(ids);
  return sweep;
}

OwnContainersRemover::OwnContainersRemover(const DockerCli& docker) {
  // $0: the docker client, $1: the filter. Nothing of ours is spliced into the script.
  strings_ = {"/bin/sh", "-c",
              "ids=$(\"$0\" ps -aq --filter \"$1\") && [ -n \"$ids\" ] && "
              "\"$0\" rm -f -v $ids",
              docker.program(), std::string("label=") + kOwnerLabel + "=" + ContainerOwner::self().id()};
  for (auto& s : strings_) argv_.push_back(s.data());
  argv_.push_back(nullptr);
}

void OwnContainersRemover::launch() const noexcept {
  pid_t pid = ::fork();
  if (pid != 0) return;  // the parent (or a failed fork): carry on exiting
  ::setsid();            // not killed by the terminal's next Ctrl-C
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  ::execve(argv_[0], argv_.data(), environ);
  ::_exit(127);
}

}  // namespace autoswarm::bench
