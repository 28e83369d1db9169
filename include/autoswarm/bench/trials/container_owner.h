// Which process started a container, written on the container as labels, so that containers
// a killed `bench run` left behind (SIGKILL, a crash, a second Ctrl-C) are found and removed by
// the next `bench run` or `autoswarm doctor`, and never those of a run still going:
//
//   autoswarm.owner.host   the host's name
//   autoswarm.owner.boot   the kernel's boot id (/proc/sys/kernel/random/boot_id)
//   autoswarm.owner.pid    the owner's process id
//   autoswarm.owner.start  when the owner started, in clock ticks after boot (/proc/PID/stat),
//                          so that a pid used again by another process is not taken for it
//   autoswarm.owner        all four, "host/boot/pid/start": one filter finds one process's
//
//   remove_orphaned_containers(docker)   → "removed 2 containers left by bench runs that are gone …"
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "autoswarm/bench/trials/docker_cli.h"

namespace autoswarm::bench {

inline constexpr const char* kOwnerLabel = "autoswarm.owner";

struct ContainerOwner {
  std::string host;
  std::string boot_id;
  long pid = 0;
  unsigned long long start_ticks = 0;

  // This process.
  static const ContainerOwner& self();
  // From an autoswarm.owner label's value; pid 0 when it is not one.
  static ContainerOwner parse(const std::string& label_value);

  std::string id() const;                           // "host/boot/pid/start"
  std::map<std::string, std::string> labels() const;  // the five labels above

  // Whether the owner still runs. Only this host's processes can be checked: on this host,
  // false when the machine has rebooted since, no process has the pid, or the one that has
  // it started at another time; for another host, true (nothing is known about it).
  bool alive() const;
};

// What a sweep found: containers of owners that are gone, and how many of them it removed.
struct OrphanSweep {
  size_t found = 0;
  size_t removed = 0;
  std::vector<long> owner_pids;  // each gone owner once

  // "" when nothing was found; else one line for the user, e.g. "removed 2 containers left
  // by bench runs that are gone (pid 4711)".
  std::string message() const;
};

// Removes every container (running or not) whose owner ran on this host and is gone.
// Containers of live processes and of other hosts are left alone. Throws
// DockerUnavailableError or DockerError when docker cannot be asked.
OrphanSweep remove_orphaned_containers(const DockerCli& docker,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Removes this process's containers from a signal handler, where nothing but async-signal-safe
// calls may run: everything is prepared by the constructor, and launch() starts a detached
// `sh -c 'docker rm -f -v $(docker ps -aq --filter label=autoswarm.owner=ID)'` in a session
// of its own and returns at once, so the process can exit and the cleanup still happens.
class OwnContainersRemover {
 public:
  explicit OwnContainersRemover(const DockerCli& docker);
  OwnContainersRemover(const OwnContainersRemover&) = delete;
  OwnContainersRemover& operator=(const OwnContainersRemover&) = delete;

  void launch() const noexcept;  // async-signal-safe

 private:
  std::vector<std::string> strings_;
  std::vector<char*> argv_;
};

}  // namespace autoswarm::bench
