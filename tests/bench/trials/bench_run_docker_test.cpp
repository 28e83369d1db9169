// `autoswarm bench run` end to end with real Docker over benchmark/tasks: the oracle passes all;
// the pipeline agent with a two-stage spec and a scripted fake upstream passes exactly the tasks
// it was scripted to solve; trial errors get Harbor's names; Ctrl-C/SIGTERM leaves no container.
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "bench/trials/bench_run_support.h"
#include "bench/trials/docker_test_support.h"
#include "support/background_process.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using autoswarm::testing::TempDir;
using nlohmann::json;

namespace {

using autoswarm::testing::bench_run;
using autoswarm::testing::check_harbor_job;
using autoswarm::testing::trial_dir;
using autoswarm::testing::containers_of_job;
using autoswarm::testing::job_dir_of;
using autoswarm::testing::last_line;
using autoswarm::testing::read_json;
using autoswarm::testing::write_task;
const fs::path& kTasks = autoswarm::testing::kBenchmarkTasks;

size_t task_count() {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kTasks)) n += e.is_directory() ? 1 : 0;
  return n;
}

// A two-stage pipeline: a planner hands a plan to an executor that solves every benchmark task
// but log-errors (its shell command counts [ERROR] anywhere on a line, which is wrong).
const char* kTwoStageSpec = R"(
pipeline:
  max_total_turns: 12
  stages:
    - id: plan
      system_prompt: "PLANNER. You read the task and write a short plan for the executor."
      tools: [read_file]
      max_turns: 2
      output_format: bullet_list
    - id: execute
      system_prompt: "EXECUTOR. You carry out the plan with the tools, then report."
      tools: [run_shell, read_file, write_file]
      max_turns: 6
)";

const char* kFakeScript = R"(
rules:
  - match: {system: PLANNER, role: user}
    reply: {content: "- look at the files\n- produce the output the task asks for"}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "Done: the output is written."}
  - match: {system: EXECUTOR, content: "hello\\.txt"}
    reply:
      tool_calls:
        - name: write_file
          arguments: {path: /app/hello.txt, content: "Hello, world!\n"}
  - match: {system: EXECUTOR, content: "sales\\.csv"}
    reply:
      tool_calls:
        - name: write_file
          arguments:
            path: /app/summary.json
            content: '{"north": 358.84, "south": 619.5, "east": 115.5, "west": 201.8}'
  - match: {system: EXECUTOR, content: "fizzbuzz\\.py"}
    reply:
      tool_calls:
        - name: run_shell
          arguments:
            command: |
              python3 - <<'EOF'
              from pathlib import Path
              p = Path("/app/fizzbuzz.py")
              s = p.read_text()
              s = s.replace('    if i % 15 == 0:\n        return "FizzBuzz"\n', "")
              s = s.replace("def line(i):\n", 'def line(i):\n    if i % 15 == 0:\n        return "FizzBuzz"\n')
              p.write_text(s)
              EOF
  - match: {system: EXECUTOR, content: "service\\.log"}
    reply:
      tool_calls:
        - name: run_shell
          arguments:
            command: grep -o '\[ERROR\] [a-z]*' /app/service.log | sort | uniq -c > /app/errors.txt
)";

}  // namespace

TEST_CASE("bench run --agent oracle passes every benchmark task", "[docker][bench_run]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  auto r = bench_run({"--tasks", kTasks.string(), "--agent", "oracle", "-o",
                      (dir / "jobs").string(), "--job-name", "oracle-e2e"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  size_t n = task_count();
  REQUIRE(n >= 3);
  std::string summary = last_line(r.out);
  CHECK(summary.starts_with("passed=" + std::to_string(n) + "/" + std::to_string(n) +
                            " avg_score=1.00 topology=oracle "));
  fs::path job = job_dir_of(r.out);
  CHECK(job == dir / "jobs" / "oracle-e2e");
  CHECK(fs::read_symlink(dir / "jobs" / "latest") == "oracle-e2e");
  json result = read_json(job / "result.json");
  CHECK(result["n_total_trials"] == n);
  CHECK(result["stats"]["evals"]["oracle__tasks"]["n_trials"] == n);  // no model: agent__dataset
  CHECK(read_json(job / "autoswarm.json")["passed"] == n);
  json config = read_json(job / "config.json");
  CHECK(config["agents"][0]["name"] == "oracle");
  CHECK(config["agents"][0]["model_name"].is_null());
  CHECK(config["datasets"][0]["path"] == fs::absolute(kTasks).lexically_normal().string());
  auto harbor = check_harbor_job(job);
  INFO(harbor.out << harbor.err);
  CHECK(harbor.exit_code == 0);
  CHECK_THAT(harbor.out, Catch::StartsWith("ok: " + std::to_string(2 + 2 * n) + " files"));
  for (const auto& task : fs::directory_iterator(kTasks)) {
    fs::path trial = trial_dir(job, task.path().filename().string());
    INFO(trial);
    CHECK(read_json(trial / "result.json")["verifier_result"]["rewards"]["reward"] == 1.0);
    CHECK(fs::exists(trial / "agent" / "trajectory.json"));
    CHECK(fs::exists(trial / "agent" / "stage_traces.json"));
    CHECK(fs::exists(trial / "agent" / "oracle.txt"));
    CHECK(autoswarm::util::read_file(trial / "agent" / "instruction.md") ==
          autoswarm::util::read_file(task.path() / "instruction.md"));
    CHECK(fs::exists(trial / "verifier" / "test-stdout.txt"));
    CHECK(autoswarm::util::read_file(trial / "verifier" / "reward.txt") == "1\n");
  }
  CHECK(containers_of_job("oracle-e2e").empty());
}

TEST_CASE("bench run --agent pipeline scores exactly the tasks the fake LLM solves",
          "[docker][bench_run]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  autoswarm::util::write_file_atomic(dir / "spec.yaml", kTwoStageSpec);
  autoswarm::testing::FakeUpstream fake({.models = {{"fake-coder", true}}});
  fake.set_script(kFakeScript);

  auto r = bench_run({"--tasks", kTasks.string(), "--spec", (dir / "spec.yaml").string(),
                      "--upstream", fake.url(), "--model", "fake-coder", "-n", "4", "-o",
                      (dir / "jobs").string(), "--job-name", "pipeline-e2e"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  size_t n = task_count();
  std::string summary = last_line(r.out);
  CHECK(summary.starts_with("passed=" + std::to_string(n - 1) + "/" + std::to_string(n) +
                            " avg_score="));
  CHECK_THAT(summary, Catch::Contains(" topology=plan→execute turns=") &&
                          Catch::Contains(" cost_usd=0.0000 job="));
  CHECK_THAT(r.out, Catch::Contains("FAIL ") && Catch::Contains("log-errors"));

  fs::path job = job_dir_of(r.out);
  json result = read_json(job / "autoswarm.json");
  CHECK(result["passed"] == n - 1);
  CHECK(result["task_scores"]["log-errors"] == 0.0);
  CHECK(result["pipeline_topology"] == "plan→execute");
  CHECK(result["model"] == "fake-coder");
  json harbor_result = read_json(job / "result.json");
  const json& evals_entry = harbor_result["stats"]["evals"]["autoswarm-pipeline__fake-coder__tasks"];
  CHECK(evals_entry["n_trials"] == n);
  CHECK(evals_entry["reward_stats"]["reward"]["0.0"].size() == 1);
  CHECK(harbor_result["stats"]["n_input_tokens"].get<long long>() > 0);
  auto harbor = check_harbor_job(job);
  INFO(harbor.out << harbor.err);
  CHECK(harbor.exit_code == 0);

  fs::path trial = trial_dir(job, "hello-world");
  json trial_result = read_json(trial / "result.json");
  CHECK(trial_result["agent_info"]["model_info"]["name"] == "fake-coder");
  CHECK(trial_result["agent_result"]["n_input_tokens"].get<int>() > 0);
  CHECK(trial_result["verifier_result"]["rewards"]["reward"] == 1.0);
  json traces = read_json(trial / "agent" / "stage_traces.json");
  REQUIRE(traces.size() == 2);
  CHECK(traces[0]["stage"] == "plan");
  CHECK(traces[1]["stage"] == "execute");
  json trajectory = read_json(trial / "agent" / "trajectory.json");
  CHECK(trajectory["schema_version"] == "ATIF-v1.6");
  CHECK(trajectory["final_metrics"]["extra"]["pipeline_topology"] == "plan→execute");
  CHECK_THAT(trajectory.dump(), Catch::Contains("write_file") && Catch::Contains("/app/hello.txt"));
  CHECK(containers_of_job("pipeline-e2e").empty());

  // The loop goes on: the judge scores every stage, and the job becomes a row of results.tsv.
  fake.set_script(R"(default_reply: '{"score": 0.9, "missing": "", "assessment": "fine"}')");
  autoswarm::util::ProcessOptions cli;
  cli.timeout = 60s;
  cli.unset_env = {"AUTOSWARM_HOME", "OPENAI_API_KEY"};
  auto eval = autoswarm::util::run_process({AUTOSWARM_BINARY, "bench", "eval", job.string(), "--upstream",
                                            fake.url(), "--judge-model", "fake-coder"}, cli);
  INFO(eval.out << eval.err);
  CHECK(eval.exit_code == 0);
  CHECK_THAT(eval.out, Catch::Contains("hello-world plan:0.90,execute:0.90\n"));
  CHECK(last_line(eval.out) == "stage_scores: plan:0.90,execute:0.90");
  CHECK(fs::exists(trial / "agent" / "stage_scores.json"));
  auto record = autoswarm::util::run_process({AUTOSWARM_BINARY, "bench", "record", job.string(), "--status",
                                              "keep", "--results", (dir / "results.tsv").string(),
                                              "--description", "two stages"}, cli);
  INFO(record.err);
  CHECK(record.exit_code == 0);
  std::string tsv = autoswarm::util::read_file(dir / "results.tsv");
  CHECK_THAT(tsv, Catch::Contains("\t" + std::to_string(n - 1) + "\t") && Catch::Contains("log-errors:0") &&
                      Catch::Contains("\tplan:0.90,execute:0.90\tplan→execute\t0.0000\tkeep\ttwo stages\t"
                                      "pipeline-e2e\t" + std::to_string(n) + "\n"));
}

TEST_CASE("trial errors get Harbor's names, unusable tasks are skipped, the run goes on",
          "[docker][bench_run]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  fs::path tasks = dir / "tasks";
  const std::string fast = "[verifier]\ntimeout_sec = 30.0\n[agent]\ntimeout_sec = 30.0\n";
  const std::string passing_test = "echo 1 > /logs/verifier/reward.txt\n";
  write_task(tasks / "good", fast, passing_test, "true\n");
  write_task(tasks / "no-reward", fast, "echo 'tests ran, wrote nothing'\n", "true\n");
  write_task(tasks / "agent-timeout", "[agent]\ntimeout_sec = 2.0\n", passing_test, "sleep 60\n");
  write_task(tasks / "verifier-timeout", "[verifier]\ntimeout_sec = 2.0\n", "sleep 60\n", "true\n");
  write_task(tasks / "cheater", fast, "echo 'no reward written'\n",
             "echo 1 > /logs/verifier/reward.txt; echo 1 > /logs/reward.txt\n");
  write_task(tasks / "broken", fast, "", "true\n");  // no tests/test.sh

  auto start = std::chrono::steady_clock::now();
  auto r = bench_run({"--tasks", tasks.string(), "--agent", "oracle", "-n", "5", "-o",
                      (dir / "jobs").string(), "--job-name", "errors-e2e"});
  INFO(r.out << r.err);
  CHECK(std::chrono::steady_clock::now() - start < 60s);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("broken") && Catch::Contains("test.sh"));
  CHECK(last_line(r.out).starts_with("passed=1/5 avg_score=0.20 "));
  const fs::path job = dir / "jobs" / "errors-e2e";
  json errors = read_json(job / "autoswarm.json")["errors_by_type"];
  CHECK(errors["RewardFileNotFoundError"] == json::array({trial_dir(job, "cheater").filename().string(),
                                                          trial_dir(job, "no-reward").filename().string()}));
  CHECK(errors["AgentTimeoutError"] == json::array({trial_dir(job, "agent-timeout").filename().string()}));
  CHECK(errors["VerifierTimeoutError"] == json::array({trial_dir(job, "verifier-timeout").filename().string()}));
  json stats = read_json(job / "result.json")["stats"];
  CHECK(stats["n_completed_trials"] == 5);  // errored trials are finished ones
  CHECK(stats["n_errored_trials"] == 4);
  CHECK(stats["evals"]["oracle__tasks"]["exception_stats"]["RewardFileNotFoundError"].size() == 2);
  json timeout = read_json(trial_dir(job, "agent-timeout") / "result.json");
  CHECK(timeout["exception_info"]["exception_type"] == "AgentTimeoutError");
  CHECK(timeout["verifier_result"].is_null());
  CHECK(fs::exists(trial_dir(job, "agent-timeout") / "exception.txt"));
  auto harbor = check_harbor_job(job);
  INFO(harbor.out << harbor.err);
  CHECK(harbor.exit_code == 0);
  CHECK(containers_of_job("errors-e2e").empty());

  // The skipped task is listed in the job, and counts as failed in the experiment log.
  json extra = read_json(job / "autoswarm_config.json");
  REQUIRE(extra["skipped_tasks"].size() == 1);
  CHECK(extra["skipped_tasks"][0]["task"] == "broken");
  CHECK(extra["tasks"].size() == 5);
  auto record = autoswarm::util::run_process({AUTOSWARM_BINARY, "bench", "record", job.string(), "--status",
                                              "discard", "--results", (dir / "results.tsv").string()});
  INFO(record.err);
  REQUIRE(record.exit_code == 0);
  CHECK_THAT(record.out, Catch::EndsWith("\tdiscard\t\terrors-e2e\t6\n"));
  CHECK_THAT(record.out, Catch::Contains("\t0.2000\t1\t"));
}

TEST_CASE("bench run -k 2 -r 1: attempts, named rewards, pass@k and retries as Harbor writes them",
          "[docker][bench_run][harbor]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  fs::path tasks = dir / "tasks";
  const std::string fast = "[verifier]\ntimeout_sec = 30.0\n[agent]\ntimeout_sec = 30.0\n";
  write_task(tasks / "named", fast,
             "echo '{\"correctness\": 1, \"performance\": 1}' > /logs/verifier/reward.json\n", "true\n");
  write_task(tasks / "half", fast,
             "echo '{\"correctness\": 1, \"performance\": 0}' > /logs/verifier/reward.json\n", "true\n");
  write_task(tasks / "unbuildable", fast, "echo 1 > /logs/verifier/reward.txt\n", "true\n");
  autoswarm::util::write_file_atomic(tasks / "unbuildable" / "environment" / "Dockerfile",
                                     "FROM autoswarm-base\nRUN exit 3\n");
  auto r = bench_run({"--tasks", tasks.string(), "--agent", "oracle", "-k", "2", "-n", "3", "-r", "1",
                      "--retry-include", "EnvironmentBuildError", "-o", (dir / "jobs").string(),
                      "--job-name", "attempts-e2e"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(last_line(r.out), Catch::StartsWith("passed=1/3 ") && Catch::Contains(" pass^2=1/3 job="));
  const fs::path job = dir / "jobs" / "attempts-e2e";
  CHECK(autoswarm::testing::trial_count(job, "named") == 2);
  json result = read_json(job / "result.json");
  CHECK(result["n_total_trials"] == 6);
  CHECK(result["stats"]["n_retries"] == 2);  // each unbuildable attempt once
  const json& eval = result["stats"]["evals"]["oracle__tasks"];
  CHECK(eval["n_trials"] == 4);
  CHECK(eval["exception_stats"]["EnvironmentBuildError"].size() == 2);
  CHECK(eval["reward_stats"]["correctness"]["1"].size() == 4);
  CHECK(eval["reward_stats"]["performance"]["0"].size() == 2);
  CHECK(eval["pass_at_k"] == json::object());  // two keys: Harbor reports no pass@k
  json config = read_json(job / "config.json");
  CHECK(config["n_attempts"] == 2);
  CHECK(config["retry"]["max_retries"] == 1);
  CHECK(config["retry"]["include_exceptions"] == json::array({"EnvironmentBuildError"}));
  for (const auto& e : fs::directory_iterator(job)) {
    if (!e.is_directory() || !e.path().filename().string().starts_with("named__")) continue;
    CHECK(read_json(e.path() / "result.json")["verifier_result"]["rewards"] ==
          json{{"correctness", 1}, {"performance", 1}});
    CHECK_FALSE(fs::exists(e.path() / "verifier" / "reward.txt"));  // none made up
    CHECK(fs::exists(e.path() / "verifier" / "reward.json"));
  }
  auto harbor = check_harbor_job(job, {"--attempts", "2"});
  INFO(harbor.out << harbor.err);
  CHECK(harbor.exit_code == 0);
  CHECK(check_harbor_job(job, {"--attempts", "3"}).exit_code == 1);
  CHECK(containers_of_job("attempts-e2e").empty());

  // The checker fails what Harbor would refuse: a trial result without task_checksum, and a
  // job whose stats do not add up.
  fs::path unbuildable;
  for (const auto& e : fs::directory_iterator(job)) {
    if (e.path().filename().string().starts_with("unbuildable__")) unbuildable = e.path();
  }
  json broken = read_json(unbuildable / "result.json");
  broken.erase("task_checksum");
  autoswarm::util::write_file_atomic(unbuildable / "result.json", broken.dump());
  json stats = read_json(job / "result.json");
  stats["stats"]["n_errored_trials"] = 0;
  autoswarm::util::write_file_atomic(job / "result.json", stats.dump());
  auto refused = check_harbor_job(job);
  INFO(refused.out);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.out, Catch::Contains("'task_checksum' is a required property") &&
                              Catch::Contains("$['stats']['n_errored_trials']: is 0, the trials make 2"));
}

TEST_CASE("an interrupted bench run removes every container it started", "[docker][bench_run]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  fs::path tasks = dir / "tasks";
  for (const char* name : {"slow-a", "slow-b", "slow-c"}) {
    write_task(tasks / name, "", "echo 1 > /logs/verifier/reward.txt\n", "sleep 300\n");
  }
  for (int sig : {SIGINT, SIGTERM}) {
    std::string job = std::string("interrupt-e2e-") + (sig == SIGINT ? "int" : "term");
    INFO(job);
    autoswarm::testing::BackgroundProcess run({AUTOSWARM_BINARY, "bench", "run", "--tasks",
                                               tasks.string(), "--agent", "oracle", "-n", "2", "-o",
                                               (dir / "jobs").string(), "--job-name", job});
    // Wait until both trials have their containers.
    auto deadline = std::chrono::steady_clock::now() + 90s;
    while (containers_of_job(job).size() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(200ms);
    }
    REQUIRE(containers_of_job(job).size() == 2);
    std::this_thread::sleep_for(1s);  // let solve.sh start
    run.signal(sig);
    int status = run.wait(60s);
    INFO(run.rest_of_out() << run.err());
    CHECK(status == 128 + sig);
    CHECK(containers_of_job(job).empty());
    CHECK_THAT(run.rest_of_out(), Catch::Contains("passed=0/3 "));
    json result = read_json(dir / "jobs" / job / "autoswarm.json");
    CHECK(result["interrupted"] == true);
    CHECK(result["errors_by_type"]["CancelledError"].size() == 2);
    CHECK(autoswarm::testing::trial_count(dir / "jobs" / job, "slow-c") == 0);  // never started
    json stats = read_json(dir / "jobs" / job / "result.json")["stats"];
    CHECK(stats["n_cancelled_trials"] == 2);
    CHECK(stats["n_completed_trials"] == 2);
    CHECK(stats["n_pending_trials"] == 1);
    auto harbor = check_harbor_job(dir / "jobs" / job);
    INFO(harbor.out << harbor.err);
    CHECK(harbor.exit_code == 0);
  }
}

TEST_CASE("Ctrl-C does not wait for a model that is slow to answer", "[docker][bench_run]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  autoswarm::util::write_file_atomic(dir / "spec.yaml", kTwoStageSpec);
  autoswarm::testing::FakeUpstream fake({.models = {{"fake-coder", true}}});
  fake.set_script(R"(
rules:
  - match: {role: user}
    reply: {content: too late}
    fault: {first_byte_delay_ms: 120000}
)");
  const std::string job = "interrupt-slow-llm";
  autoswarm::testing::BackgroundProcess run(
      {AUTOSWARM_BINARY, "bench", "run", "--tasks", kTasks.string(), "-i", "hello-world", "--spec",
       (dir / "spec.yaml").string(), "--upstream", fake.url(), "--model", "fake-coder", "-o",
       (dir / "jobs").string(), "--job-name", job});
  auto chat_requests = [&] {
    size_t n = 0;
    for (const auto& r : fake.requests()) n += r["path"] == "/v1/chat/completions" ? 1 : 0;
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (chat_requests() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(chat_requests() == 1);  // the planner's call, which would take 2 minutes
  auto signalled = std::chrono::steady_clock::now();
  run.signal(SIGINT);
  int status = run.wait(60s);
  INFO(run.rest_of_out() << run.err());
  CHECK(status == 128 + SIGINT);
  CHECK(std::chrono::steady_clock::now() - signalled < 30s);
  CHECK(containers_of_job(job).empty());
  json result = read_json(dir / "jobs" / job / "autoswarm.json");
  CHECK(result["interrupted"] == true);
  CHECK(result["errors_by_type"]["CancelledError"].size() == 1);
}

TEST_CASE("bench run says how to fix an unreachable docker daemon", "[docker][bench_run]") {
  TempDir dir;
  autoswarm::util::ProcessOptions options;
  options.timeout = 60s;
  options.env = {{"DOCKER_HOST", "unix://" + (dir / "no-docker.sock").string()}};
  options.unset_env = {"DOCKER_CONTEXT"};
  auto r =
      autoswarm::util::run_process({AUTOSWARM_BINARY, "bench", "run", "--tasks", kTasks.string(),
                                    "--agent", "oracle", "-o", (dir / "jobs").string()},
                                   options);
  CHECK(r.exit_code == 1);
  // Without a docker client at all the message says to install one instead.
  CHECK_THAT(r.err, (Catch::Contains("cannot reach the docker daemon") &&
                     Catch::Contains("sudo dockerd") && Catch::Contains("DOCKER_HOST=unix://")) ||
                        Catch::Contains("cannot run the docker client"));
  CHECK_FALSE(fs::exists(dir / "jobs"));
}

// --- the shapes of benchmark/examples in real containers

namespace {

const fs::path kExamples = fs::path(AUTOSWARM_SOURCE_DIR) / "benchmark" / "examples";

// The executor gets hello.txt wrong until the context holds a FAIL verdict; the verifier really
// checks the file with a command and says PASS or FAIL from what it saw.
const char* kVerifyRetryScript = R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- write /app/hello.txt"}
  - match: {system: EXECUTOR, role: user, content: "verdict FAIL"}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/hello.txt, content: "Hello, world!\n"}}]}
  - match: {system: EXECUTOR, role: user}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/hello.txt, content: "Hello world\n"}}]}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "wrote /app/hello.txt"}
  - match: {system: VERIFIER, role: user}
    reply: {tool_calls: [{name: run_shell, arguments: {command: "grep -qx 'Hello, world!' /app/hello.txt && echo PASS || echo FAIL"}}]}
  - match: {system: VERIFIER, role: tool, content: "STDOUT:\\nPASS"}
    reply: {content: "hello.txt is right\nPASS"}
  - match: {system: VERIFIER, role: tool}
    reply: {content: "hello.txt differs from the task\nFAIL"}
)";

// Solver A writes a wrong hello.txt, solver B the right one; each leaves a mark in /logs/agent,
// which the trial collects from the container it ends in.
const char* kParallelScript = R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- write /app/hello.txt"}
  - match: {system: SOLVER A, role: user}
    reply:
      tool_calls:
        - {name: write_file, arguments: {path: /app/hello.txt, content: "hello from A\n"}}
        - {name: write_file, arguments: {path: /logs/agent/branch_a.txt, content: "A"}}
  - match: {system: SOLVER B, role: user}
    reply:
      tool_calls:
        - {name: write_file, arguments: {path: /app/hello.txt, content: "Hello, world!\n"}}
        - {name: write_file, arguments: {path: /logs/agent/branch_b.txt, content: "B"}}
  - match: {role: tool}
    reply: {content: "wrote the files"}
)";

std::vector<std::string> images_of_job(const std::string& job) {
  auto r = autoswarm::util::run_process(
      {"docker", "images", "-q", "--filter", "label=autoswarm.job=" + job}, {});
  std::vector<std::string> ids;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  return ids;
}

}  // namespace

TEST_CASE("the verify-retry example passes hello-world only on the second attempt",
          "[docker][bench_run][shapes]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  autoswarm::testing::FakeUpstream fake({.models = {{"fake-coder", true}}});
  fake.set_script(kVerifyRetryScript);
  auto run = [&](const fs::path& spec, const std::string& job) {
    return bench_run({"--tasks", kTasks.string(), "--include", "hello-world", "--spec", spec.string(),
                      "--upstream", fake.url(), "--model", "fake-coder", "-o", (dir / "jobs").string(),
                      "--job-name", job});
  };

  auto r = run(kExamples / "verify_retry.yaml", "verify-retry-e2e");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(last_line(r.out), Catch::StartsWith("passed=1/1 ") &&
                                   Catch::Contains(" topology=plan→execute→verify→execute→verify "));
  fs::path trial = trial_dir(job_dir_of(r.out), "hello-world");
  json traces = read_json(trial / "agent" / "stage_traces.json");
  REQUIRE(traces.size() == 5);
  CHECK(traces[2]["verdict"] == "FAIL");
  CHECK(traces[4]["verdict"] == "PASS");
  CHECK(traces[3]["attempt"] == 2);
  CHECK(read_json(trial / "result.json")["agent_result"]["metadata"]["pipeline_topology"] ==
        "plan→execute→verify→execute→verify");

  // Without the retry, the same script fails the task: the second attempt is what passed it.
  std::string no_retry = autoswarm::util::read_file(kExamples / "verify_retry.yaml");
  no_retry.replace(no_retry.find("max_retries: 2"), 14, "max_retries: 0");
  autoswarm::util::write_file_atomic(dir / "no_retry.yaml", no_retry);
  auto once = run(dir / "no_retry.yaml", "verify-once-e2e");
  INFO(once.out << once.err);
  REQUIRE(once.exit_code == 0);
  CHECK_THAT(last_line(once.out), Catch::StartsWith("passed=0/1 ") &&
                                      Catch::Contains(" topology=plan→execute→verify "));
  CHECK(containers_of_job("verify-retry-e2e").empty());
  CHECK(containers_of_job("verify-once-e2e").empty());
}

TEST_CASE("the parallel example continues in the chosen branch's container and leaves none behind",
          "[docker][bench_run][shapes]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  autoswarm::testing::FakeUpstream fake({.models = {{"fake-coder", true}}});
  auto run = [&](const std::string& chosen, const std::string& job) {
    fake.set_script(std::string(kParallelScript) + "  - match: {system: JUDGE}\n    reply: {content: \"CHOSEN: " +
                    chosen + "\"}\n");
    return bench_run({"--tasks", kTasks.string(), "--include", "hello-world", "--spec",
                      (kExamples / "parallel_synthesis.yaml").string(), "--upstream", fake.url(),
                      "--model", "fake-coder", "-o", (dir / "jobs").string(), "--job-name", job});
  };

  auto b = run("solve_b", "parallel-b-e2e");
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  CHECK_THAT(last_line(b.out), Catch::StartsWith("passed=1/1 ") &&
                                   Catch::Contains(" topology=plan→[solve_a|solve_b]→pick "));
  fs::path trial = trial_dir(job_dir_of(b.out), "hello-world");
  CHECK(fs::exists(trial / "agent" / "branch_b.txt"));
  CHECK_FALSE(fs::exists(trial / "agent" / "branch_a.txt"));
  json traces = read_json(trial / "agent" / "stage_traces.json");
  REQUIRE(traces.size() == 4);
  CHECK(traces[3]["choice"]["branch"] == "solve_b");
  CHECK(containers_of_job("parallel-b-e2e").empty());
  CHECK(images_of_job("parallel-b-e2e").empty());

  // Choosing the other branch continues in its container, with its wrong hello.txt.
  auto a = run("solve_a", "parallel-a-e2e");
  INFO(a.out << a.err);
  REQUIRE(a.exit_code == 0);
  CHECK_THAT(last_line(a.out), Catch::StartsWith("passed=0/1 "));
  fs::path trial_a = trial_dir(job_dir_of(a.out), "hello-world");
  CHECK(fs::exists(trial_a / "agent" / "branch_a.txt"));
  CHECK_FALSE(fs::exists(trial_a / "agent" / "branch_b.txt"));
  CHECK(containers_of_job("parallel-a-e2e").empty());
  CHECK(images_of_job("parallel-a-e2e").empty());
}
