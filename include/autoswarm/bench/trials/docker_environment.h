// A trial's Environment in a Docker container, driven through the `docker` CLI: started with
// resource limits, a pids limit, only the capabilities tasks need and (by default) no network,
// labelled with its owner (container_owner.h), removed with `docker rm -f` when done.
//
//   DockerEnvironment env(docker, {.image = tag, .labels = {{kJobLabel, job}}});
//   env.exec({"bash", "-lc", "ls"}, 120s);   // docker exec -i <id> bash -lc ls
//   env.remove();                            // also done by the destructor
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autoswarm/bench/trials/docker_cli.h"
#include "autoswarm/bench/agent/environment.h"

namespace autoswarm::bench {

// At most this many processes and threads in a task container (--pids-limit): a fork bomb
// stops there instead of taking the host's process table.
inline constexpr int64_t kDefaultPidsLimit = 1024;

// What tasks commonly need of root's powers once every capability is dropped (--cap-drop ALL):
// changing owners and modes (CHOWN, DAC_OVERRIDE, FOWNER, FSETID), switching users (SETUID,
// SETGID, and AUDIT_WRITE for su), signalling processes (KILL) and binding a port below 1024
// (NET_BIND_SERVICE). Left out of Docker's default set: MKNOD, NET_RAW, SETFCAP, SETPCAP and
// SYS_CHROOT.
const std::vector<std::string>& default_capabilities();

struct ContainerOptions {
  std::string image{};
  double cpus = 1.0;                      // --cpus; <= 0: no limit
  int64_t memory_mb = 2048;               // --memory; <= 0: no limit
  int gpus = 0;                           // --gpus N when > 0
  int64_t pids_limit = kDefaultPidsLimit;  // --pids-limit; <= 0: no limit
  // true: --cap-drop ALL, then --cap-add for each of cap_add. false: Docker's default set
  // (cap_add is then added to it).
  bool drop_capabilities = true;
  std::vector<std::string> cap_add = default_capabilities();
  bool network = false;                   // false: --network none
  std::map<std::string, std::string> labels{};
  std::map<std::string, std::string> env{};  // set in the container for every exec
  std::string name_hint{};                // part of the container's name (the task's name)
  // When it turns true, running execs are killed and throw (the run is being interrupted).
  const std::atomic<bool>* cancel = nullptr;
};

class DockerEnvironment : public Environment {
 public:
  // What exec keeps in memory of each output stream of a command: its head and tail, however
  // much it prints (a 200 MB output must not take 200 MB here; the model sees a few KB).
  static constexpr size_t kExecMaxOutput = DockerCli::kDefaultMaxOutput;

  // `docker run -d` with a keep-alive process. Throws DockerError when the container does not
  // start (docker's message quoted), DockerUnavailableError when docker is not there.
  DockerEnvironment(DockerCli docker, ContainerOptions options);
  ~DockerEnvironment() override;  // remove()
  DockerEnvironment(const DockerEnvironment&) = delete;
  DockerEnvironment& operator=(const DockerEnvironment&) = delete;

  // `docker rm -f`: idempotent, never throws (a failure is logged with the command to run).
  // A fork also removes its snapshot image.
  void remove() noexcept;

  // A sibling container started from a snapshot (`docker commit`) of this one's filesystem now,
  // with the same limits, labels, env and user: a branch that can change files without touching
  // this one (a parallel branch). The sibling owns the snapshot and removes it with
  // itself. Throws DockerError.
  std::unique_ptr<DockerEnvironment> fork(const std::string& name_hint);

  const std::string& container_id() const { return id_; }

  // The image's WORKDIR ("/" when it sets none), asked of docker once.
  std::string working_directory();

  // Environment. exec kills what it started inside the container when `timeout` passes (the
  // result then has timed_out and exit code 137); it keeps the head and tail of each output
  // stream (kExecMaxOutput); a shell script of any length runs (a long one is sourced from a
  // file). Every call throws Error when the container is gone or the run is interrupted.
  ExecResult exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  const std::string& input = "",
                  const std::map<std::string, std::string>& env = {}) override;
  void write_file(const std::string& path, const std::string& content) override;
  std::string read_file(const std::string& path, size_t max_bytes = 1 << 20) override;
  void copy_in(const std::filesystem::path& from, const std::string& to) override;
  // docker cp, then every link and special file docker brought is removed on the host.
  std::vector<std::string> copy_out(const std::string& from,
                                    const std::filesystem::path& to) override;
  void set_user(std::string user) override { user_ = std::move(user); }  // docker exec -u
  std::string describe() const override;
  // branch(): fork(). continue_as(): this container (and a snapshot it owns) is removed and this
  // object takes over the sibling's container and snapshot; the sibling must be a
  // DockerEnvironment.
  std::unique_ptr<Environment> branch(const std::string& name_hint) override;
  void continue_as(std::unique_ptr<Environment> sibling) override;

 private:
  // docker exec with our user and env; no timeout handling beyond run_process's.
  util::ProcessResult docker_exec(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout, const std::string& input,
                                  const std::map<std::string, std::string>& env,
                                  size_t max_output) const;
  void kill_marked(const std::string& marker) const;
  void throw_if_gone(const util::ProcessResult& r, const std::string& what) const;

  DockerCli docker_;
  ContainerOptions options_;
  std::string id_;
  std::string user_;
  std::string workdir_;
  std::string owned_image_;  // a fork's snapshot, removed with it
  bool removed_ = false;
};

}  // namespace autoswarm::bench
