// The tool-calling loop of one stage against the fake upstream and a fake environment: what the
// model is sent, tool dispatch and errors, turn budgets, timeouts, cancellation, failures.
#include "autoswarm/bench/agent/agent_loop.h"

#include <catch2/catch.hpp>

#include <thread>

#include "autoswarm/llm/client.h"
#include "support/fake_environment.h"
#include "support/fake_upstream.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using autoswarm::testing::FakeUpstream;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// One stage's world: fake LLM, fake container, a trajectory and a budget.
struct LoopFixture {
  FakeUpstream fake;
  llm::Client client{fake.client_options()};
  FakeEnvironment env;
  PipelineSpec spec;
  AtifTrajectory trajectory{"session", "test", "fake-model"};
  RunBudget budget{std::chrono::steady_clock::now() + 60s, 60s, nullptr, 100};
  StageSpec stage;

  LoopFixture() {
    stage.id = "solve";
    stage.system_prompt = "You solve tasks.";
    stage.tools = {"run_shell", "read_file"};
    stage.max_turns = 5;
  }

  StageResult run(const std::string& user = "TASK:\nlist the files") {
    AgentLoop loop(client, ToolRegistry::builtin(), env, "/app", trajectory, spec, budget);
    return loop.run(stage, "fake-model", user);
  }

  std::vector<json> chat_bodies() const {
    std::vector<json> out;
    for (const auto& r : fake.requests()) {
      if (r["path"] == "/v1/chat/completions") out.push_back(r["body"]);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("a stage calls tools until the model answers in text", "[bench][loop]") {
  LoopFixture f;
  f.fake.set_script(R"(
rules:
  - match: {content: "^TASK:"}
    reply:
      content: "Let me look."
      tool_calls: [{name: run_shell, arguments: {command: "ls /app"}, id: call_ls}]
      usage: {prompt_tokens: 1000, completion_tokens: 100}
  - match: {role: tool}
    reply: {content: "There is one file: a.txt", usage: {prompt_tokens: 2000, completion_tokens: 50, cached_tokens: 7}}
)");
  f.env.on_command("^ls", ExecResult{.exit_code = 0, .timed_out = false, .out = "a.txt\n", .err = ""});
  f.spec.pricing["fake-model"] = {1.0, 10.0};

  StageResult r = f.run();
  CHECK(r.output == "There is one file: a.txt");
  CHECK(to_string(r.stop_reason) == "answered");
  CHECK_FALSE(r.error);
  CHECK(r.turns == 2);
  CHECK(f.budget.turns_left == 98);
  CHECK(r.usage.prompt_tokens == 3000);
  CHECK(r.usage.completion_tokens == 150);
  CHECK(r.usage.cached_tokens == 7);
  CHECK(r.usage.cost_usd == Approx((3000 * 1.0 + 150 * 10.0) / 1e6));

  auto bodies = f.chat_bodies();
  REQUIRE(bodies.size() == 2);
  const json& first = bodies[0];
  CHECK(first["model"] == "fake-model");
  CHECK(first["messages"][0]["role"] == "system");
  CHECK_THAT(first["messages"][0]["content"].get<std::string>(), Catch::StartsWith("You solve tasks.\n\n"));
  CHECK_THAT(first["messages"][0]["content"].get<std::string>(), Catch::Contains("plain prose"));
  CHECK(first["messages"][1] == json{{"role", "user"}, {"content", "TASK:\nlist the files"}});
  REQUIRE(first["tools"].size() == 2);
  CHECK(first["tools"][0]["function"]["name"] == "run_shell");
  CHECK(first["tools"][1]["function"]["name"] == "read_file");
  const json& second = bodies[1]["messages"];
  REQUIRE(second.size() == 4);
  CHECK(second[2]["role"] == "assistant");
  CHECK(second[2]["tool_calls"][0]["id"] == "call_ls");
  CHECK(second[3] == json{{"role", "tool"}, {"tool_call_id", "call_ls"},
                          {"content", "STDOUT:\na.txt\nSTDERR:\n(empty)\nEXIT CODE: 0"}});
  CHECK(f.env.calls().at(0).argv == std::vector<std::string>{"bash", "-lc", "ls /app"});

  json doc = f.trajectory.to_json({}, nullptr);
  REQUIRE(doc["steps"].size() == 4);  // system, user, two agent steps
  CHECK(doc["steps"][2]["tool_calls"][0]["arguments"] == json{{"command", "ls /app"}});
  CHECK(doc["steps"][2]["observation"]["results"][0]["source_call_id"] == "call_ls");
  CHECK(doc["steps"][2]["metrics"]["prompt_tokens"] == 1000);
  CHECK(doc["steps"][3]["message"] == "There is one file: a.txt");
  CHECK(doc["steps"][3]["extra"]["stage"] == "solve");
}

TEST_CASE("tool errors and bad arguments go back to the model", "[bench][loop]") {
  LoopFixture f;
  f.fake.set_script(R"(
rules:
  - match: {content: "^TASK:"}
    reply:
      tool_calls:
        - {name: bash, arguments: {command: "ls"}, id: c1}
        - {name: run_shell, arguments: '{"command": "ls', id: c2}
        - {name: write_file, arguments: {path: x, content: y}, id: c3}
        - {name: read_file, arguments: {path: missing.txt}, id: c4}
  - match: {role: tool}
    reply: {content: "I give up."}
)");
  StageResult r = f.run();
  CHECK(to_string(r.stop_reason) == "answered");
  CHECK(r.output == "I give up.");
  auto bodies = f.chat_bodies();
  REQUIRE(bodies.size() == 2);
  const json& msgs = bodies[1]["messages"];
  REQUIRE(msgs.size() == 7);
  CHECK_THAT(msgs[3]["content"].get<std::string>(), Catch::Contains("no tool named 'bash'. Available tools: run_shell, read_file."));
  CHECK_THAT(msgs[4]["content"].get<std::string>(), Catch::Contains("the arguments of run_shell are not valid"));
  CHECK_THAT(msgs[5]["content"].get<std::string>(), Catch::Contains("no tool named 'write_file'"));  // not this stage's
  CHECK_THAT(msgs[6]["content"].get<std::string>(), Catch::StartsWith("error: cannot read /app/missing.txt"));
  CHECK(f.env.calls().empty());
  CHECK_FALSE(f.env.has_file("/app/x"));
}

TEST_CASE("turn budgets: the stage's max_turns and the run's turns left", "[bench][loop]") {
  LoopFixture f;
  f.fake.set_script(R"(
rules:
  - reply:
      content: "still working"
      tool_calls: [{name: run_shell, arguments: {command: "true"}}]
)");
  SECTION("max_turns ends the stage with its last text") {
    f.stage.max_turns = 3;
    StageResult r = f.run();
    CHECK(r.turns == 3);
    CHECK(to_string(r.stop_reason) == "max_turns");
    CHECK(r.output == "still working");
    CHECK_FALSE(r.error);
    CHECK(f.chat_bodies().size() == 3);
    CHECK(f.env.calls().size() == 3);
  }
  SECTION("the run's budget wins when it is smaller") {
    f.budget.turns_left = 2;
    StageResult r = f.run();
    CHECK(r.turns == 2);
    CHECK(to_string(r.stop_reason) == "max_total_turns");
    CHECK(f.budget.turns_left == 0);
    CHECK(f.chat_bodies().size() == 2);
  }
}

TEST_CASE("the deadline and the cancel flag stop a stage", "[bench][loop]") {
  LoopFixture f;
  f.fake.set_script(R"(
rules:
  - reply:
      tool_calls: [{name: run_shell, arguments: {command: "work"}}, {name: run_shell, arguments: {command: "more"}}]
)");
  SECTION("a deadline already past: no model call at all") {
    f.budget.deadline = std::chrono::steady_clock::now() - 1s;
    StageResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "AgentTimeoutError");
    CHECK_THAT(r.error->message, Catch::Contains("within 60 s"));
    CHECK(to_string(r.stop_reason) == "timeout");
    CHECK(f.chat_bodies().empty());
  }
  SECTION("the deadline passes during a tool: the rest are not run") {
    f.budget.deadline = std::chrono::steady_clock::now() + 300ms;
    f.env.on_command("work", [](const FakeEnvironment::Call& call) {
      CHECK(call.timeout <= 300ms);  // capped by the time left
      std::this_thread::sleep_for(400ms);
      return ExecResult{.exit_code = 0};
    });
    StageResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "AgentTimeoutError");
    CHECK(r.turns == 1);
    CHECK(f.env.calls().size() == 1);  // "more" was not run
    json steps = f.trajectory.to_json({}, nullptr)["steps"];
    CHECK_THAT(steps[2]["observation"]["results"][1]["content"].get<std::string>(),
               Catch::Contains("not run"));
  }
  SECTION("the deadline passes while the model is still thinking: the call is cut short") {
    f.fake.set_script(R"(
rules:
  - reply: {content: too late}
    fault: {first_byte_delay_ms: 30000}
)");
    auto started = std::chrono::steady_clock::now();
    f.budget.deadline = started + 500ms;
    StageResult r = f.run();
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "AgentTimeoutError");
    CHECK(to_string(r.stop_reason) == "timeout");
    CHECK(r.turns == 0);
  }
  SECTION("cancellation") {
    std::atomic<bool> cancel{false};
    f.budget.cancel = &cancel;
    f.env.on_command("work", [&](const FakeEnvironment::Call&) {
      cancel = true;
      return ExecResult{.exit_code = 0};
    });
    StageResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "CancelledError");
    CHECK(to_string(r.stop_reason) == "cancelled");
    CHECK(f.chat_bodies().size() == 1);
  }
}

TEST_CASE("an upstream failure or a vanished environment ends the stage with an error", "[bench][loop]") {
  LoopFixture f;
  SECTION("the upstream answers 500") {
    f.fake.set_script("rules:\n  - fault: {status: 500}\n");
    StageResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "LlmError");
    CHECK(to_string(r.stop_reason) == "error");
    CHECK(r.turns == 0);
  }
  SECTION("the container is gone") {
    f.fake.set_script("rules:\n  - reply: {tool_calls: [{name: run_shell, arguments: {command: ls}}]}\n");
    f.env.set_gone(true);
    StageResult r = f.run();
    REQUIRE(r.error);
    CHECK(to_string(r.error->type) == "EnvironmentError");
    CHECK(r.turns == 1);
  }
}

TEST_CASE("the output format line follows output_format", "[bench][loop]") {
  StageSpec s;
  s.system_prompt = "P";
  s.output_format = OutputFormat::kBulletList;
  CHECK_THAT(AgentLoop::system_prompt(s), Catch::StartsWith("P\n\n") && Catch::Contains("bullet list"));
  s.output_format = OutputFormat::kJson;
  CHECK_THAT(AgentLoop::system_prompt(s), Catch::Contains("one valid JSON value"));
  s.output_format = OutputFormat::kStructuredJson;
  CHECK_THAT(AgentLoop::system_prompt(s), Catch::Contains("one JSON object"));
}
