// What a hostile task or agent must not be able to do to the host through `bench run`, with
// real Docker: plant links to host files in the job directory, flood the host process with
// output, leave containers behind when the run is killed, hang the run with a FIFO, fail the
// trial with a huge tool argument, or fork-bomb the machine.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "autoswarm/util/files.h"
#include "bench/trials/bench_run_support.h"
#include "bench/trials/docker_test_support.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace autoswarm::testing;

namespace {

const std::string kFast = "[verifier]\ntimeout_sec = 60.0\n[agent]\ntimeout_sec = 60.0\n";
const std::string kPassingTest = "echo 1 > /logs/verifier/reward.txt\n";

}  // namespace

TEST_CASE("links and FIFOs an agent leaves in /logs/agent never reach the job directory",
          "[docker][hardening]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  write_task(dir / "tasks" / "planter", kFast, kPassingTest,
             "ln -sf /etc/shadow /logs/agent/instruction.md\n"
             "ln -s / /logs/agent/host-root\n"
             "mkdir -p /logs/agent/sub && ln -s /etc/passwd /logs/agent/sub/passwd\n"
             "mkfifo /logs/agent/pipe\n"
             "echo kept > /logs/agent/sub/notes.txt\n");
  auto r = bench_run({"--tasks", (dir / "tasks").string(), "--agent", "oracle", "-o",
                      (dir / "jobs").string(), "--job-name", "planted"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(last_line(r.out).starts_with("passed=1/1 "));
  const fs::path agent = dir / "jobs" / "planted" / "planter" / "agent";
  CHECK(fs::is_regular_file(fs::symlink_status(agent / "instruction.md")));
  CHECK(autoswarm::util::read_file(agent / "instruction.md") == "Do the thing.\n");
  CHECK_FALSE(fs::exists(fs::symlink_status(agent / "host-root")));
  CHECK_FALSE(fs::exists(fs::symlink_status(agent / "sub" / "passwd")));
  CHECK_FALSE(fs::exists(fs::symlink_status(agent / "pipe")));
  CHECK(autoswarm::util::read_file(agent / "sub" / "notes.txt") == "kept\n");
  CHECK_THAT(r.err, Catch::Contains("/logs/agent/instruction.md (a symbolic link)") &&
                        Catch::Contains("/logs/agent/pipe (a FIFO)"));
  CHECK(containers_of_job("planted").empty());
}
