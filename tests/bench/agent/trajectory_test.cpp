// The ATIF-v1.6 document shape, and the agents that need no LLM (oracle, nop) with a fake
// environment, including the files write_agent_outputs leaves behind.
#include "autoswarm/bench/agent/trajectory.h"

#include <catch2/catch.hpp>

#include <regex>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/util/files.h"
#include "support/fake_environment.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using autoswarm::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("an ATIF trajectory has Harbor's shape", "[bench][atif]") {
  AtifTrajectory t("", "autoswarm-pipeline", "qwen");
  t.add_system("You plan.", {{"stage", "plan"}});
  t.add_user("TASK:\nx");
  llm::ChatResponse reply;
  reply.content = "Looking.";
  reply.reasoning_content = "hmm";
  llm::ToolCall good{"call_a", "run_shell", R"({"command":"ls"})", nullptr, ""};
  llm::parse_tool_arguments(good);
  llm::ToolCall bad{"call_b", "read_file", "{oops", nullptr, ""};
  llm::parse_tool_arguments(bad);
  reply.tool_calls = {good, bad};
  size_t step = t.add_agent(reply, "qwen", {.prompt_tokens = 10, .completion_tokens = 5,
                                             .cached_tokens = 2, .cost_usd = 0.5},
                            {{"stage", "plan"}});
  t.add_observation(step, "call_a", "STDOUT:\na\n");
  t.add_observation(step, "call_b", "error: bad");

  json doc = t.to_json({.prompt_tokens = 10, .completion_tokens = 5, .cached_tokens = 2, .cost_usd = 0.5},
                       {{"pipeline_topology", "plan→execute"}});
  CHECK(doc["schema_version"] == "ATIF-v1.6");
  CHECK(std::regex_match(doc["session_id"].get<std::string>(),
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(doc["agent"]["name"] == "autoswarm-pipeline");
  CHECK(doc["agent"]["model_name"] == "qwen");
  CHECK(doc["agent"].contains("version"));
  const json& steps = doc["steps"];
  REQUIRE(steps.size() == 3);
  for (size_t i = 0; i < steps.size(); ++i) {
    CHECK(steps[i]["step_id"] == i + 1);
    CHECK(std::regex_match(steps[i]["timestamp"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  }
  CHECK(steps[0]["source"] == "system");
  CHECK(steps[0]["extra"]["stage"] == "plan");
  CHECK(steps[1]["source"] == "user");
  CHECK_FALSE(steps[1].contains("extra"));
  const json& agent = steps[2];
  CHECK(agent["source"] == "agent");
  CHECK(agent["message"] == "Looking.");
  CHECK(agent["model_name"] == "qwen");
  CHECK(agent["reasoning_content"] == "hmm");
  CHECK(agent["tool_calls"][0] == json{{"tool_call_id", "call_a"}, {"function_name", "run_shell"},
                                       {"arguments", {{"command", "ls"}}}});
  CHECK(agent["tool_calls"][1]["arguments"] == json{{"_raw_arguments", "{oops"}});
  CHECK(agent["observation"]["results"][0] == json{{"source_call_id", "call_a"}, {"content", "STDOUT:\na\n"}});
  CHECK(agent["observation"]["results"][1]["source_call_id"] == "call_b");
  CHECK(agent["metrics"] == json{{"prompt_tokens", 10}, {"completion_tokens", 5}, {"cached_tokens", 2},
                                 {"cost_usd", 0.5}});
  const json& fm = doc["final_metrics"];
  CHECK(fm["total_prompt_tokens"] == 10);
  CHECK(fm["total_completion_tokens"] == 5);
  CHECK(fm["total_cached_tokens"] == 2);
  CHECK(fm["total_cost_usd"] == 0.5);
  CHECK(fm["total_steps"] == 3);
  CHECK(fm["extra"]["pipeline_topology"] == "plan→execute");
}

namespace {

Task oracle_task(const fs::path& root, bool with_solution) {
  Task task;
  task.name = "hello";
  task.dir = root;
  task.instruction = "Write hello.";
  task.agent.timeout_sec = 7;
  task.solution.env = {{"GREETING", "${AUTOSWARM_TEST_GREETING:-hi}"}};
  if (with_solution) {
    fs::create_directories(root / "solution");
    util::write_file_atomic(root / "solution" / "solve.sh", "echo hello > /app/hello.txt\n");
  }
  return task;
}

}  // namespace

TEST_CASE("the oracle copies solution/ and runs solve.sh into oracle.txt", "[bench][oracle]") {
  TempDir tmp;
  Task task = oracle_task(tmp.path(), true);
  FakeEnvironment env;
  env.on_command("solve.sh", [&](const FakeEnvironment::Call&) {
    env.set_file("/app/hello.txt", "hello\n");
    return ExecResult{.exit_code = 0};
  });
  AgentOutcome out = run_agent(AgentKind::kOracle, {.task = task, .env = env});
  CHECK_FALSE(out.error);
  CHECK(env.file("/solution/solve.sh") == "echo hello > /app/hello.txt\n");
  CHECK(env.has_file("/app/hello.txt"));
  auto calls = env.calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].argv.at(0) == "bash");
  CHECK_THAT(calls[0].command, Catch::Contains("bash /solution/solve.sh > /logs/agent/oracle.txt 2>&1"));
  CHECK(calls[0].env.at("DEBIAN_FRONTEND") == "noninteractive");
  CHECK(calls[0].env.at("GREETING") == "hi");
  CHECK(calls[0].timeout == std::chrono::seconds(7));
  CHECK(out.agent_name == "oracle");
  CHECK(out.topology == "oracle");
  CHECK(out.trajectory["schema_version"] == "ATIF-v1.6");
  CHECK(out.trajectory["steps"][1]["observation"]["results"][0]["content"] ==
        "EXIT CODE: 0 (output in /logs/agent/oracle.txt)");

  write_agent_outputs(out, TrialDir(tmp / "trial"));
  CHECK(json::parse(util::read_file(tmp / "trial" / "agent" / "trajectory.json")) == out.trajectory);
  CHECK(json::parse(util::read_file(tmp / "trial" / "agent" / "stage_traces.json")) == json::array());
}

TEST_CASE("oracle failures are named like Harbor's", "[bench][oracle]") {
  TempDir tmp;
  FakeEnvironment env;
  SECTION("no solution") {
    Task task = oracle_task(tmp.path(), false);
    AgentOutcome out = run_agent(AgentKind::kOracle, {.task = task, .env = env});
    REQUIRE(out.error);
    CHECK(to_string(out.error->type) == "SolutionNotFoundError");
  }
  SECTION("solve.sh runs out of time") {
    Task task = oracle_task(tmp.path(), true);
    env.on_command("solve.sh", ExecResult{.exit_code = 137, .timed_out = true});
    AgentOutcome out = run_agent(AgentKind::kOracle,
                                 {.task = task, .env = env, .timeout = std::chrono::milliseconds(1500)});
    REQUIRE(out.error);
    CHECK(to_string(out.error->type) == "AgentTimeoutError");
    CHECK(env.calls().at(0).timeout == std::chrono::milliseconds(1500));
  }
  SECTION("the environment is gone") {
    Task task = oracle_task(tmp.path(), true);
    env.set_gone(true);
    AgentOutcome out = run_agent(AgentKind::kOracle, {.task = task, .env = env});
    REQUIRE(out.error);
    CHECK(to_string(out.error->type) == "EnvironmentError");
  }
}

TEST_CASE("the nop agent does nothing", "[bench][oracle]") {
  TempDir tmp;
  Task task = oracle_task(tmp.path(), false);
  FakeEnvironment env;
  AgentOutcome out = run_agent(AgentKind::kNop, {.task = task, .env = env});
  CHECK_FALSE(out.error);
  CHECK(env.calls().empty());
  CHECK(out.trajectory["steps"].size() == 1);
  CHECK(parse_agent_kind("nop") == AgentKind::kNop);
  CHECK(parse_agent_kind("single") == AgentKind::kSingle);
  CHECK_FALSE(parse_agent_kind("smart").has_value());
  CHECK(to_string(AgentKind::kPipeline) == "pipeline");
}
