// What a hostile task or agent must not be able to do to the host through `bench run`, with
// real Docker: plant links to host files in the job directory, flood the host process with
// output, leave containers behind when the run is killed, hang the run with a FIFO, fail the
// trial with a huge tool argument, or fork-bomb the machine.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "autoswarm/util/files.h"
#include "bench/trials/bench_run_support.h"
#include "bench/trials/docker_test_support.h"
#include "support/background_process.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace autoswarm::testing;

namespace {

const std::string kFast = "[verifier]\ntimeout_sec = 60.0\n[agent]\ntimeout_sec = 60.0\n";

// One stage with run_shell: what a hostile or careless model gets to call.
const char* kShellSpec = R"(
pipeline:
  max_total_turns: 8
  stages:
    - id: solve
      system_prompt: "SOLVER. You run commands."
      tools: [run_shell]
      max_turns: 6
)";

// The peak resident memory (VmHWM) of a process, in KiB; 0 once it is gone.
size_t peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stoul(line.substr(6));
  }
  return 0;
}

// `bench run ARGS…` in the background until it exits (at most 240 s); its exit status, and
// the peak memory it reached, sampled every 50 ms.
int bench_run_measured(const std::vector<std::string>& args, size_t& peak_kib, std::string& output) {
  using namespace std::chrono_literals;
  std::vector<std::string> argv{AUTOSWARM_BINARY, "bench", "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  BackgroundProcess run(argv);
  peak_kib = 0;
  auto deadline = std::chrono::steady_clock::now() + 240s;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t now = peak_rss_kib(run.pid());
    peak_kib = std::max(peak_kib, now);
    if (now == 0 || ::kill(run.pid(), 0) != 0) break;
    std::string state;
    std::ifstream stat("/proc/" + std::to_string(run.pid()) + "/stat");
    std::getline(stat, state);
    if (state.find(") Z ") != std::string::npos) break;  // exited, not yet reaped
    std::this_thread::sleep_for(50ms);
  }
  int status = run.wait(30s);
  output = run.rest_of_out() + run.err();
  return status;
}

// Starts `bench run --agent oracle` over `tasks` as job `job`, and SIGKILLs it once its trial
// has a container: what a crash or the OOM killer does. Returns the killed pid.
pid_t kill_bench_run_mid_trial(const fs::path& tasks, const fs::path& jobs, const std::string& job) {
  using namespace std::chrono_literals;
  BackgroundProcess run({AUTOSWARM_BINARY, "bench", "run", "--tasks", tasks.string(), "--agent",
                         "oracle", "-o", jobs.string(), "--job-name", job});
  REQUIRE(wait_for_container(job));
  run.signal(SIGKILL);
  CHECK(run.wait(10s) == 128 + SIGKILL);
  return run.pid();
}

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
  const fs::path agent = autoswarm::testing::trial_dir(dir / "jobs" / "planted", "planter") / "agent";
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

TEST_CASE("a 200 MB tool output and a 300 KB command neither bloat nor fail the trial",
          "[docker][hardening]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  write_task(dir / "tasks" / "flood", kFast,
             "grep -qx 'big-ok 300000' /app/out.txt && echo 1 > /logs/verifier/reward.txt || "
             "echo 0 > /logs/verifier/reward.txt\n",
             "true\n");
  autoswarm::util::write_file_atomic(dir / "spec.yaml", kShellSpec);
  const std::string big_command =
      "x='" + std::string(300000, 'y') + "'; echo big-ok ${#x} > /app/out.txt; cat /app/out.txt";
  const nlohmann::json flood_call = {
      {"name", "run_shell"},
      {"arguments",
       {{"command", "head -c 200000000 /dev/zero | tr '\\000' x; echo; echo flood-done"}}}};
  const nlohmann::json big_call = {{"name", "run_shell"}, {"arguments", {{"command", big_command}}}};
  const nlohmann::json script = {
      {"rules",
       {{{"match", {{"role", "tool"}, {"content", "big-ok 300000"}}},
         {"reply", {{"content", "Done."}}}},
        {{"match", {{"role", "tool"}, {"content", "flood-done"}}},
         {"reply", {{"tool_calls", {big_call}}}}},
        {{"match", {{"role", "user"}}}, {"reply", {{"tool_calls", {flood_call}}}}}}}};
  FakeUpstream fake({.models = {{"fake-coder", true}}});
  fake.set_script(script.dump());  // JSON is YAML

  size_t peak_kib = 0;
  std::string output;
  int status = bench_run_measured({"--tasks", (dir / "tasks").string(), "--spec",
                                   (dir / "spec.yaml").string(), "--upstream", fake.url(),
                                   "--model", "fake-coder", "-o", (dir / "jobs").string(),
                                   "--job-name", "flood"},
                                  peak_kib, output);
  INFO(output);
  std::cout << "peak RSS of bench run with a 200 MB tool output: " << peak_kib << " KiB" << std::endl;
  CHECK(status == 0);
  CHECK_THAT(output, Catch::Contains("passed=1/1 "));
  CHECK(peak_kib < 64 * 1024);
  // What the model saw of the flood: its head and tail, and how much was left out.
  bool saw_flood = false;
  for (const auto& r : fake.requests()) {
    const std::string body = r.dump();
    if (body.find("flood-done") == std::string::npos) continue;
    saw_flood = true;
    CHECK(body.size() < 400000);
    CHECK_THAT(body, Catch::Contains("characters omitted"));
  }
  CHECK(saw_flood);
  CHECK(containers_of_job("flood").empty());
}

TEST_CASE("containers of a SIGKILLed bench run are removed by the next run, which says so",
          "[docker][hardening]") {
  AUTOSWARM_REQUIRE_DOCKER();
  using namespace std::chrono_literals;
  TempDir dir;
  write_task(dir / "tasks" / "slow", "", kPassingTest, "sleep 300\n");
  write_task(dir / "quick" / "quick", kFast, kPassingTest, "true\n");
  const std::string job = "killed-" + std::to_string(::getpid());
  pid_t killed_pid = kill_bench_run_mid_trial(dir / "tasks", dir / "jobs", job);
  // Nothing removed it: the container is still there, labelled with its dead owner.
  std::vector<std::string> left = containers_of_job(job);
  REQUIRE(left.size() == 1);
  std::string owner = autoswarm::bench::DockerCli().check(
      {"container", "inspect", "--format", "{{index .Config.Labels \"autoswarm.owner.pid\"}}", left[0]},
      30s, "inspect");
  CHECK(owner == std::to_string(killed_pid) + "\n");

  auto r = bench_run({"--tasks", (dir / "quick").string(), "--agent", "oracle", "-o",
                      (dir / "jobs").string(), "--job-name", job + "-next"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("removed 1 container left by bench runs that are gone (pid " +
                                    std::to_string(killed_pid) + ")"));
  CHECK(containers_of_job(job).empty());
}

TEST_CASE("autoswarm doctor removes the containers a killed bench run left", "[docker][hardening]") {
  AUTOSWARM_REQUIRE_DOCKER();
  using namespace std::chrono_literals;
  TempDir dir;
  write_task(dir / "tasks" / "slow", "", kPassingTest, "sleep 300\n");
  const std::string job = "doctor-sweep-" + std::to_string(::getpid());
  kill_bench_run_mid_trial(dir / "tasks", dir / "jobs", job);
  autoswarm::util::ProcessOptions options;
  options.timeout = 60s;
  options.unset_env = {"OPENAI_API_KEY"};
  auto r = autoswarm::util::run_process(
      {AUTOSWARM_BINARY, "--home", (dir / "home").string(), "doctor", "--timeout-ms", "200"}, options);
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("bench: removed ") &&
                        Catch::Contains("left by bench runs that are gone"));
  CHECK(containers_of_job(job).empty());
}

namespace {
// Whether `sig` is no longer pending for `pid` (/proc/<pid>/status: SigPnd for the thread,
// ShdPnd for the process), waiting at most 2 s for it.
bool wait_until_delivered(pid_t pid, int sig) {
  const uint64_t bit = uint64_t{1} << (sig - 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    uint64_t pending = 0;
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("SigPnd:") || line.starts_with("ShdPnd:")) pending |= std::stoull(line.substr(7), nullptr, 16);
    }
    if ((pending & bit) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}
}  // namespace

TEST_CASE("a FIFO in a task is skipped with a warning and a second SIGTERM ends the run at once",
          "[docker][hardening]") {
  AUTOSWARM_REQUIRE_DOCKER();
  using namespace std::chrono_literals;
  TempDir dir;
  write_task(dir / "tasks" / "fifo", kFast, kPassingTest, "true\n");
  REQUIRE(::mkfifo((dir / "tasks" / "fifo" / "environment" / "pipe").c_str(), 0644) == 0);
  REQUIRE(::mkfifo((dir / "tasks" / "fifo" / "tests" / "pipe").c_str(), 0644) == 0);
  auto r = bench_run({"--tasks", (dir / "tasks").string(), "--agent", "oracle", "-o",
                      (dir / "jobs").string(), "--job-name", "fifo"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.timed_out);
  CHECK(last_line(r.out).starts_with("passed=1/1 "));
  CHECK_THAT(r.err, Catch::Contains("skipping pipe, which is a FIFO"));

  // While a trial runs, a first SIGTERM asks for a clean stop; a second one is obeyed at once.
  write_task(dir / "slow" / "slow", "", kPassingTest, "sleep 300\n");
  const std::string job = "twice-" + std::to_string(::getpid());
  BackgroundProcess run({AUTOSWARM_BINARY, "bench", "run", "--tasks", (dir / "slow").string(),
                         "--agent", "oracle", "-o", (dir / "jobs").string(), "--job-name", job});
  REQUIRE(wait_for_container(job));
  run.signal(SIGTERM);
  // Two signals sent back to back merge into one while the first is still pending: the second
  // goes once the kernel has handed the first to the process.
  REQUIRE(wait_until_delivered(run.pid(), SIGTERM));
  run.signal(SIGTERM);
  auto signalled = std::chrono::steady_clock::now();
  int status = run.wait(10s);
  auto took = std::chrono::steady_clock::now() - signalled;
  INFO(run.err());
  CHECK(status == 128 + SIGTERM);
  CHECK(took < 1s);
  // The detached cleanup removes the container soon after.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!containers_of_job(job).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  CHECK(containers_of_job(job).empty());
}

TEST_CASE("task containers have a pids limit and only the capabilities tasks need",
          "[docker][hardening]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  // What the container may and may not do, as test.sh sees it: chown and su-like user switches
  // work, mknod does not, and a fork bomb stops at the limit.
  const std::string test_sh =
      "set -u\n"
      "touch /tmp/f && chown nobody /tmp/f || { echo 'chown failed'; exit 0; }\n"
      "setpriv --reuid=65534 --regid=65534 --clear-groups true || { echo 'setpriv failed'; exit 0; }\n"
      "if mknod /tmp/dev c 1 3 2>/dev/null; then echo 'mknod worked'; exit 0; fi\n"
      "limit=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)\n"
      "echo \"pids.max=$limit\"\n"
      "grep -q '^CapEff:.*' /proc/self/status && grep CapEff /proc/self/status\n"
      "echo 1 > /logs/verifier/reward.txt\n";
  write_task(dir / "tasks" / "caps", kFast, test_sh, "true\n");
  auto r = bench_run({"--tasks", (dir / "tasks").string(), "--agent", "oracle", "-o",
                      (dir / "jobs").string(), "--job-name", "caps", "--pids-limit", "200"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  std::string tests_out =
      autoswarm::util::read_file(autoswarm::testing::trial_dir(dir / "jobs" / "caps", "caps") / "verifier" /
                                 "test-stdout.txt");
  INFO(tests_out);
  CHECK(last_line(r.out).starts_with("passed=1/1 "));
  CHECK_THAT(tests_out, Catch::Contains("pids.max=200"));
  auto summary = read_json(dir / "jobs" / "caps" / "autoswarm.json");
  CHECK(summary["run"]["pids_limit"] == 200);
}
