// The verifier phase against a fake environment: where the reward is read from, Harbor's error
// names for missing, empty and unparsable reward files, timeouts, and a clean slate for the tests.
#include "autoswarm/bench/trials/verifier.h"

#include <catch2/catch.hpp>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "fake_verifier_scripts.h"
#include "support/fake_environment.h"
#include "support/temp_dir.h"

using autoswarm::bench::ExecResult;
using autoswarm::bench::run_verifier;
using autoswarm::bench::Task;
using autoswarm::bench::VerifierOptions;
using autoswarm::testing::FakeEnvironment;
using autoswarm::testing::TempDir;

namespace {

// Harbor's name of what went wrong, "" when a reward was read.
std::string error_name(const autoswarm::bench::VerifierOutcome& o) {
  return o.error_type ? autoswarm::bench::to_string(*o.error_type) : "";
}

struct Fixture {
  TempDir dir;
  Task task;
  FakeEnvironment env;

  Fixture() {
    task.name = "demo";
    task.dir = dir.path();
    task.verifier.timeout_sec = 42;
    autoswarm::util::ensure_directory(dir / "tests");
    autoswarm::util::write_file_atomic(dir / "tests" / "test.sh", "echo testing\n");
    // The clean-slate script really clears the fake's files, as rm -rf would, and the reward
    // files are read from the fake's files the way the real script does.
    autoswarm::testing::act_out_verifier_scripts(env);
  }

  // test.sh: prints `output` and writes `files`.
  void tests_write(std::map<std::string, std::string> files, std::string output = "ok\n") {
    env.on_command("bash /tests/test.sh", [this, files, output](const FakeEnvironment::Call&) {
      for (const auto& [path, content] : files) env.set_file(path, content);
      return ExecResult{.exit_code = 0, .out = output};
    });
  }
};

}  // namespace

TEST_CASE("the reward comes from reward.txt, and the tests run with their env and timeout",
          "[verifier]") {
  Fixture f;
  f.task.verifier.env = {{"MODE", "${VERIFIER_MODE:-strict}"}, {"KEY", "${SECRET}"}};
  f.tests_write({{"/logs/verifier/reward.txt", "1\n"}}, "3 passed\n");
  auto o = run_verifier(f.env, f.task, VerifierOptions{.env_lookup = {{"SECRET", "s3"}}});
  CHECK(error_name(o).empty());
  CHECK(o.reward() == 1.0);
  CHECK(o.reward_txt == "1\n");
  CHECK(o.test_output == "3 passed\n");
  CHECK_FALSE(o.reward_json);

  REQUIRE(f.env.copies().size() == 1);
  CHECK(f.env.copies()[0].second == "/tests");
  bool ran = false;
  for (const auto& call : f.env.calls()) {
    if (call.command.find("bash /tests/test.sh") == std::string::npos) continue;
    ran = true;
    CHECK(call.timeout == std::chrono::seconds(42));
    CHECK(call.env.at("MODE") == "strict");
    CHECK(call.env.at("KEY") == "s3");
  }
  CHECK(ran);
}

TEST_CASE("reward.json wins over reward.txt and keeps every named number", "[verifier]") {
  Fixture f;
  f.tests_write({{"/logs/verifier/reward.json", R"({"reward": 0.5, "quality": 0.8})"},
                 {"/logs/verifier/reward.txt", "0\n"}});
  auto o = run_verifier(f.env, f.task);
  CHECK(error_name(o).empty());
  CHECK(o.reward() == 0.5);
  CHECK(o.rewards["quality"] == 0.8);
  REQUIRE(o.reward_json);
}

TEST_CASE("reward.json without a reward key is the whole verdict, as in Harbor's verifier",
          "[verifier]") {
  Fixture f;
  f.tests_write({{"/logs/verifier/reward.json", R"({"quality": 0.25})"},
                 {"/logs/verifier/reward.txt", " 1.0 \n"}});
  auto o = run_verifier(f.env, f.task);
  CHECK(error_name(o).empty());
  CHECK(o.rewards == nlohmann::json{{"quality", 0.25}});
  CHECK(o.reward() == 0.25);  // the only key
}

TEST_CASE("reward.json with named keys passes when every key is 1", "[verifier]") {
  Fixture f;
  f.tests_write({{"/logs/verifier/reward.json", R"({"correctness": 1, "performance": 1})"}});
  auto o = run_verifier(f.env, f.task);
  CHECK(error_name(o).empty());
  CHECK(o.rewards == nlohmann::json{{"correctness", 1}, {"performance", 1}});
  CHECK(o.reward() == 1.0);
  CHECK(o.reward_txt.empty());  // no reward.txt is made up
}

TEST_CASE("older task sets' /logs/reward.txt is the last fallback", "[verifier]") {
  Fixture f;
  f.tests_write({{"/logs/reward.txt", "1"}});
  auto o = run_verifier(f.env, f.task);
  CHECK(error_name(o).empty());
  CHECK(o.reward() == 1.0);
}

TEST_CASE("missing, empty and unparsable reward files get Harbor's error names", "[verifier]") {
  Fixture f;
  SECTION("none") {
    f.tests_write({});
    auto o = run_verifier(f.env, f.task);
    CHECK(error_name(o) == "RewardFileNotFoundError");
    CHECK_THAT(o.error_message, Catch::Contains("/logs/verifier/reward.txt"));
    CHECK(o.rewards.is_null());
    CHECK(o.reward() == 0.0);
  }
  SECTION("empty reward.txt") {
    f.tests_write({{"/logs/verifier/reward.txt", "\n"}});
    CHECK(error_name(run_verifier(f.env, f.task)) == "RewardFileEmptyError");
  }
  SECTION("empty reward.json") {
    f.tests_write({{"/logs/verifier/reward.json", ""}});
    CHECK(error_name(run_verifier(f.env, f.task)) == "RewardFileEmptyError");
  }
  SECTION("reward.txt that is not one number") {
    f.tests_write({{"/logs/verifier/reward.txt", "1 passed"}});
    auto o = run_verifier(f.env, f.task);
    CHECK(error_name(o) == "VerifierOutputParseError");
    CHECK_THAT(o.error_message, Catch::Contains("1 passed"));
    CHECK(o.reward() == 0.0);
  }
  SECTION("reward.json that is not an object of numbers") {
    f.tests_write({{"/logs/verifier/reward.json", R"({"reward": "high"})"}});
    CHECK(error_name(run_verifier(f.env, f.task)) == "VerifierOutputParseError");
  }
  SECTION("reward.json that is not JSON") {
    f.tests_write({{"/logs/verifier/reward.json", "{reward: 1"}});
    CHECK(error_name(run_verifier(f.env, f.task)) == "VerifierOutputParseError");
  }
}

TEST_CASE("a reward the agent wrote before the tests ran does not count", "[verifier]") {
  Fixture f;
  f.env.set_file("/logs/verifier/reward.txt", "1");
  f.env.set_file("/logs/reward.txt", "1");
  f.tests_write({});
  auto o = run_verifier(f.env, f.task);
  CHECK(error_name(o) == "RewardFileNotFoundError");
  CHECK(o.reward() == 0.0);
}

TEST_CASE("tests that outlive [verifier].timeout_sec are a VerifierTimeoutError", "[verifier]") {
  Fixture f;
  f.env.on_command("bash /tests/test.sh",
                   ExecResult{.exit_code = 137, .timed_out = true, .out = "partial\n"});
  auto o = run_verifier(f.env, f.task);
  CHECK(error_name(o) == "VerifierTimeoutError");
  CHECK_THAT(o.error_message, Catch::Contains("timeout_sec"));
  CHECK(o.test_output == "partial\n");
  CHECK(o.reward() == 0.0);
}

TEST_CASE("before_tests runs after /tests is in place and before test.sh", "[verifier]") {
  Fixture f;
  f.tests_write({{"/logs/verifier/reward.txt", "0"}});
  size_t calls_when_hooked = 0;
  VerifierOptions options{.before_tests = [&] {
    calls_when_hooked = f.env.calls().size();
    CHECK(f.env.has_file("/tests/test.sh"));
  }};
  run_verifier(f.env, f.task, options);
  REQUIRE(calls_when_hooked > 0);
  CHECK(f.env.calls().at(calls_when_hooked).command.find("bash /tests/test.sh") !=
        std::string::npos);
}

TEST_CASE("a vanished environment is an Error, not a verdict", "[verifier]") {
  Fixture f;
  f.env.set_gone(true);
  CHECK_THROWS_AS(run_verifier(f.env, f.task), autoswarm::Error);
}

TEST_CASE("parse_reward_txt accepts exactly one finite number", "[verifier]") {
  using autoswarm::bench::parse_reward_txt;
  CHECK(parse_reward_txt("1") == 1.0);
  CHECK(parse_reward_txt(" 0.25\n") == 0.25);
  CHECK(parse_reward_txt("-1e-1") == -0.1);
  CHECK_FALSE(parse_reward_txt(""));
  CHECK_FALSE(parse_reward_txt("1 2"));
  CHECK_FALSE(parse_reward_txt("one"));
  CHECK_FALSE(parse_reward_txt("nan"));
  CHECK_FALSE(parse_reward_txt("inf"));
}
