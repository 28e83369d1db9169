// One trial without docker: run_trial against a FakeEnvironment started by the settings'
// environment factory, with the oracle agent (no LLM). Its phases in order, the trial
// directory it writes, and how each failure is named as Harbor names it.
#include "autoswarm/bench/trials/trial.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>

#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "fake_verifier_scripts.h"
#include "support/fake_environment.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A trial of the task tasks/hello, the oracle running its solve.sh, in a fake environment that
// the test scripts; what ran in it is kept when the trial removes it.
struct TrialFixture {
  testing::TempDir tmp;
  Task task;
  std::atomic<bool> cancel{false};
  TrialSettings settings;
  std::function<void(FakeEnvironment&)> script = [](FakeEnvironment&) {};
  std::optional<ContainerOptions> started;   // what the environment was started with
  std::vector<FakeEnvironment::Call> calls;  // every exec, once the environment is removed
  bool removed = false;

  // A FakeEnvironment that reports what ran in it to the fixture when the trial removes it.
  class Recorded : public FakeEnvironment {
   public:
    explicit Recorded(TrialFixture& f) : f_(f) {}
    ~Recorded() override {
      f_.calls = calls();
      f_.removed = true;
    }

   private:
    TrialFixture& f_;
  };

  TrialFixture() {
    const fs::path dir = tmp / "tasks" / "hello";
    util::ensure_directory(dir / "tests");
    util::ensure_directory(dir / "solution");
    util::ensure_directory(dir / "environment");
    util::write_file_atomic(dir / "environment" / "Dockerfile", "FROM autoswarm-base\n");
    util::write_file_atomic(dir / "instruction.md", "Write hello.\n");
    util::write_file_atomic(dir / "task.toml",
                            "[agent]\ntimeout_sec = 7\nuser = \"agent-user\"\n"
                            "[verifier]\ntimeout_sec = 9\nuser = \"tester\"\n");
    util::write_file_atomic(dir / "tests" / "test.sh", "test -f /app/hello\n");
    util::write_file_atomic(dir / "solution" / "solve.sh", "echo hello > /app/hello\n");
    task = load_task(dir);

    settings.agent = AgentKind::kOracle;
    settings.cancel = &cancel;
    settings.labels = {{"autoswarm.job", "job-1"}};
    settings.environment.build_image = [](const Task&, const ImageOptions&) {
      return std::string("autoswarm-task-hello:fake");
    };
    settings.environment.start = [this](const ContainerOptions& options) {
      started = options;
      auto env = std::make_unique<Recorded>(*this);
      testing::act_out_verifier_scripts(*env);
      env->on_command("cat > /task/instruction.md", ExecResult{.exit_code = 0, .out = "/app\n"});
      script(*env);
      return env;
    };
  }

  // solve.sh: `result` (default: it writes /logs/agent/oracle.txt and succeeds).
  void solve(std::function<ExecResult(FakeEnvironment&)> result) {
    script = [previous = script, result](FakeEnvironment& env) {
      previous(env);
      env.on_command("solve\\.sh", [&env, result](const FakeEnvironment::Call&) { return result(env); });
    };
  }
  // test.sh: `result`.
  void tests(std::function<ExecResult(FakeEnvironment&)> result) {
    script = [previous = script, result](FakeEnvironment& env) {
      previous(env);
      env.on_command("bash /tests/test.sh", [&env, result](const FakeEnvironment::Call&) { return result(env); });
    };
  }

  TrialDir trial() const { return TrialDir(tmp / "job" / "hello"); }
  TrialResult run() { return run_trial(task, settings, trial()); }

  bool ran(const std::string& text) const {
    return std::any_of(calls.begin(), calls.end(),
                       [&](const FakeEnvironment::Call& c) { return c.command.find(text) != std::string::npos; });
  }
  json result_json() const { return util::parse_json(util::read_file(trial().result_file())); }
  std::string exception_txt() const { return util::read_file(trial().exception_file()); }
};

ExecResult solved(FakeEnvironment& env) {
  env.set_file("/logs/agent/oracle.txt", "solved\n");
  return {.exit_code = 0};
}

ExecResult passing_tests(FakeEnvironment& env) {
  env.set_file("/logs/verifier/reward.txt", "1\n");
  return {.exit_code = 0, .out = "1 passed\n"};
}

}  // namespace

TEST_CASE("a trial runs its phases in its environment and writes the trial directory", "[bench][trial]") {
  TrialFixture f;
  f.solve(solved);
  f.tests(passing_tests);
  TrialResult r = f.run();

  CHECK_FALSE(r.error);
  CHECK(r.passed());
  CHECK(r.agent_name == "oracle");
  CHECK(r.topology == "oracle");
  REQUIRE(f.started);
  CHECK(f.started->image == "autoswarm-task-hello:fake");
  CHECK(f.started->labels.at("autoswarm.job") == "job-1");
  CHECK(f.started->labels.at("autoswarm.task") == f.task.name);
  CHECK(f.started->name_hint == "hello");
  CHECK(f.removed);

  // Setup, then the agent as [agent].user, then the tests as [verifier].user.
  std::vector<std::string> order;
  for (const auto& c : f.calls) {
    if (c.command.find("solve.sh") != std::string::npos) order.push_back("agent as " + c.user);
    if (c.command.find("/tests/test.sh") != std::string::npos) order.push_back("tests as " + c.user);
  }
  CHECK(order == std::vector<std::string>{"agent as agent-user", "tests as tester"});
  REQUIRE_FALSE(f.calls.empty());
  CHECK(f.calls.front().input == "Write hello.\n");  // /task/instruction.md, from stdin

  const TrialDir t = f.trial();
  CHECK(util::read_file(t.instruction_file()) == "Write hello.\n");
  CHECK(util::read_file(t.agent_dir() / "oracle.txt") == "solved\n");  // left in /logs/agent
  CHECK(fs::exists(t.trajectory_file()));
  CHECK(fs::exists(t.stage_traces_file()));
  CHECK(util::read_file(t.test_output_file()) == "1 passed\n");
  CHECK(util::read_file(t.reward_txt_file()) == "1\n");
  CHECK_FALSE(fs::exists(t.exception_file()));
  CHECK_FALSE(fs::exists(t.agent_logs_staging_dir()));
  json config = util::parse_json(util::read_file(t.config_file()));
  CHECK(config["task"]["path"] == fs::absolute(f.task.dir).lexically_normal().string());
  CHECK(config["task"]["name"].is_null());  // Harbor refuses a task with both
  CHECK(config["agent"]["name"] == "oracle");
  CHECK(config["agent"]["model_name"].is_null());
  CHECK(config["trial_name"] == "hello");
  json result = f.result_json();
  CHECK(result["verifier_result"]["rewards"]["reward"] == 1.0);
  CHECK(result["exception_info"].is_null());
  CHECK(result["task_checksum"].get<std::string>().size() == 64);
  CHECK(result["config"] == config);
  CHECK(result["id"].get<std::string>().size() == 36);
  for (const char* phase : {"environment_setup", "agent_execution", "verifier"}) {
    CHECK_FALSE(result[phase]["finished_at"].get<std::string>().empty());
  }
}

TEST_CASE("a trial whose agent runs out of time is an AgentTimeoutError and is not verified",
          "[bench][trial]") {
  TrialFixture f;
  f.solve([](FakeEnvironment&) { return ExecResult{.exit_code = 137, .timed_out = true}; });
  f.tests(passing_tests);
  TrialResult r = f.run();

  REQUIRE(r.error);
  CHECK(to_string(r.error->type) == "AgentTimeoutError");
  CHECK(r.reward() == 0.0);
  CHECK_FALSE(r.verifier);
  CHECK_FALSE(f.ran("/tests/test.sh"));
  CHECK(f.removed);
  CHECK_THAT(f.exception_txt(), Catch::StartsWith("AgentTimeoutError: solve.sh did not finish within 7 s"));
  CHECK(f.result_json()["exception_info"]["exception_type"] == "AgentTimeoutError");
  CHECK(f.result_json()["verifier"].is_null());
}

TEST_CASE("a trial's verifier failures are named as Harbor names them", "[bench][trial]") {
  TrialFixture f;
  f.solve(solved);
  std::string expected;
  SECTION("no reward file") {
    f.tests([](FakeEnvironment&) { return ExecResult{.exit_code = 1, .out = "1 failed\n"}; });
    expected = "RewardFileNotFoundError";
  }
  SECTION("an empty reward file") {
    f.tests([](FakeEnvironment& env) {
      env.set_file("/logs/verifier/reward.txt", "");
      return ExecResult{.exit_code = 0};
    });
    expected = "RewardFileEmptyError";
  }
  SECTION("tests past [verifier].timeout_sec") {
    f.tests([](FakeEnvironment&) { return ExecResult{.exit_code = 137, .timed_out = true}; });
    expected = "VerifierTimeoutError";
  }
  TrialResult r = f.run();

  REQUIRE(r.error);
  CHECK(to_string(r.error->type) == expected);
  CHECK(r.reward() == 0.0);
  CHECK(r.rewards.is_null());
  CHECK(r.verifier);
  CHECK(f.removed);
  CHECK(fs::exists(f.trial().test_output_file()));
  CHECK_THAT(f.exception_txt(), Catch::StartsWith(expected + ": "));
  CHECK(f.result_json()["exception_info"]["exception_type"] == expected);
  CHECK(f.result_json()["verifier_result"].is_null());
}

TEST_CASE("a trial whose environment fails says in which phase", "[bench][trial]") {
  TrialFixture f;
  f.solve(solved);
  f.tests(passing_tests);
  std::string expected;
  bool agent_ran = true;
  SECTION("the image cannot be built") {
    f.settings.environment.build_image = [](const Task&, const ImageOptions&) -> std::string {
      throw DockerError("building the image: no space left on device");
    };
    expected = "EnvironmentBuildError";
    agent_ran = false;
  }
  SECTION("the container does not start") {
    f.settings.environment.start = [](const ContainerOptions&) -> std::unique_ptr<Environment> {
      throw DockerError("docker run: no such image");
    };
    expected = "EnvironmentStartError";
    agent_ran = false;
  }
  SECTION("the container cannot be readied") {
    f.script = [](FakeEnvironment& env) {
      env.on_command("cat > /task/instruction.md", ExecResult{.exit_code = 1, .err = "read-only"});
    };
    expected = "EnvironmentStartError";
    agent_ran = false;
  }
  SECTION("the container vanishes while the tests run") {
    f.tests([](FakeEnvironment& env) {
      env.set_gone(true);
      return ExecResult{.exit_code = 0};
    });
    expected = "EnvironmentError";
  }
  TrialResult r = f.run();

  REQUIRE(r.error);
  CHECK(to_string(r.error->type) == expected);
  CHECK(r.reward() == 0.0);
  CHECK(r.agent_execution.has_value() == agent_ran);
  CHECK(r.agent_name == "oracle");  // also when the agent never started
  CHECK(f.removed == f.started.has_value());
  CHECK_THAT(f.exception_txt(), Catch::StartsWith(expected + ": "));
  CHECK(f.result_json()["exception_info"]["exception_type"] == expected);
}

TEST_CASE("an interrupted trial is a CancelledError and is not verified", "[bench][trial]") {
  TrialFixture f;
  f.tests(passing_tests);
  SECTION("before it starts") {
    f.cancel = true;
    f.solve(solved);
    TrialResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "CancelledError");
    CHECK_FALSE(f.started);
  }
  SECTION("while the agent runs") {
    f.solve([&f](FakeEnvironment& env) {
      f.cancel = true;
      return solved(env);
    });
    TrialResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "CancelledError");
    CHECK(r.error->message == "the run was interrupted");
    CHECK_FALSE(r.verifier);
    CHECK_FALSE(f.ran("/tests/test.sh"));
    CHECK(f.removed);
  }
  SECTION("an agent timeout during the interruption stays a timeout") {
    f.solve([&f](FakeEnvironment&) {
      f.cancel = true;
      return ExecResult{.exit_code = 137, .timed_out = true};
    });
    TrialResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "AgentTimeoutError");
  }
  CHECK_THAT(f.exception_txt(), Catch::StartsWith(f.result_json()["exception_info"]["exception_type"].get<std::string>() + ": "));
}
