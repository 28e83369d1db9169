// The pipeline's control flow against the fake upstream and a fake environment: verify-driven
// retries (count, context, budget exhaustion mid-loop), parallel branches (isolation, choice,
// failure), stages as tools (parent call, recursion guard), and every spec of benchmark/examples
// run end to end on benchmark/tasks/hello-world.
#include <catch2/catch.hpp>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/util/files.h"
#include "support/fake_environment.h"
#include "support/fake_upstream.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using autoswarm::testing::FakeUpstream;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = AUTOSWARM_SOURCE_DIR;

struct FlowFixture {
  FakeUpstream fake{{.models = {{"fake-model", true}}}};
  llm::Client client{fake.client_options()};
  FakeEnvironment env;
  Task task;
  PipelineSpec spec;

  FlowFixture() {
    task.name = "answer";
    task.instruction = "Put the answer in /app/answer.txt.";
  }

  // Parses `yaml` (which must be valid unless `check` is false) and sets the fake's script.
  void setup(const std::string& yaml, const std::string& script, bool check = true) {
    spec = parse_pipeline_spec(yaml, "flow.yaml");
    if (check) {
      auto problems = validate(spec);
      for (const auto& p : problems) UNSCOPED_INFO(p.to_string());
      REQUIRE(problems.empty());
    }
    fake.set_script(script);
  }

  AgentOutcome run() {
    return run_agent(AgentKind::kPipeline,
                     {.task = task, .env = env, .client = &client, .spec = &spec, .model = "fake-model"});
  }
};

std::vector<std::string> trace_stages(const AgentOutcome& out) {
  std::vector<std::string> stages;
  for (const auto& t : out.stage_traces) stages.push_back(t["stage"]);
  return stages;
}

const char* kVerifyRetry = R"(pipeline:
  max_total_turns: 20
  stages:
    - {id: plan, system_prompt: PLANNER, max_turns: 2}
    - {id: execute, system_prompt: EXECUTOR, tools: [write_file], max_turns: 3}
    - id: verify
      system_prompt: VERIFIER
      max_turns: 2
      verdict: last_line
      on_fail: execute
      max_retries: 2
)";

const char* kPlanAndExecute = R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- write 42"}
  - match: {system: EXECUTOR}
    reply: {content: "wrote 42"}
)";

}  // namespace

TEST_CASE("a FAIL verdict sends the run back with the verdict as context, then PASS goes on",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  f.setup(kVerifyRetry, std::string(kPlanAndExecute) + R"(
  - match: {system: VERIFIER}
    times: 1
    reply: {content: "answer.txt is missing\nFAIL"}
  - match: {system: VERIFIER}
    reply: {content: "answer.txt holds 42\nPASS"}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→execute→verify→execute→verify");
  CHECK(out.turns == 5);
  REQUIRE(trace_stages(out) == std::vector<std::string>{"plan", "execute", "verify", "execute", "verify"});
  const json& t = out.stage_traces;
  CHECK(t[1]["attempt"] == 1);
  CHECK(t[3]["attempt"] == 2);
  CHECK(t[4]["attempt"] == 2);
  CHECK(t[2]["verdict"] == "FAIL");
  CHECK(t[2]["goto"] == "execute");
  CHECK(t[4]["verdict"] == "PASS");
  CHECK_FALSE(t[4].contains("goto"));
  // The retried executor sees the failing verdict after what came before.
  CHECK(t[3]["input_context"] == "=== plan ===\n- write 42\n\n=== execute ===\nwrote 42\n\n"
                                 "=== verify (verdict FAIL) ===\nanswer.txt is missing\nFAIL");
  CHECK(t[3]["handoff_in"]["from"] == "verify");
  // Each output is judged against the stage that consumed it.
  CHECK(t[0]["consumed_by"] == "execute");
  CHECK(t[1]["consumed_by"] == "verify");
  CHECK(t[2]["consumed_by"] == "execute");
  CHECK(t[4]["consumed_by"].is_null());
  // The trajectory keeps the order of events and labels each attempt.
  std::vector<std::pair<std::string, int>> agent_steps;
  for (const auto& step : out.trajectory["steps"]) {
    if (step["source"] == "agent") agent_steps.emplace_back(step["extra"]["stage"], step["extra"]["attempt"]);
  }
  CHECK(agent_steps == std::vector<std::pair<std::string, int>>{
                           {"plan", 1}, {"execute", 1}, {"verify", 1}, {"execute", 2}, {"verify", 2}});
  CHECK(out.trajectory["final_metrics"]["extra"]["pipeline_topology"] == out.topology);
  CHECK(out.trajectory["final_metrics"]["extra"]["stop_reason"] == "completed");
}

TEST_CASE("retries stop at max_retries and the run goes on with the last FAIL recorded",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  std::string spec = kVerifyRetry;
  spec.replace(spec.find("max_retries: 2"), 14, "max_retries: 1");
  f.setup(spec, std::string(kPlanAndExecute) + R"(
  - match: {system: VERIFIER}
    reply: {content: "still wrong\nVerdict: FAIL"}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→execute→verify→execute→verify");
  CHECK(out.stage_traces[4]["verdict"] == "FAIL");
  CHECK(out.stage_traces[4]["retries_exhausted"] == true);
  CHECK(out.trajectory["final_metrics"]["extra"]["stop_reason"] == "completed");
}

TEST_CASE("a verdict that says neither PASS nor FAIL counts as FAIL", "[bench][pipeline][flow]") {
  FlowFixture f;
  f.setup(kVerifyRetry, std::string(kPlanAndExecute) + R"(
  - match: {system: VERIFIER}
    times: 1
    reply: {content: "I am not sure."}
  - match: {system: VERIFIER}
    reply: {content: "PASS"}
)");
  AgentOutcome out = f.run();
  CHECK(out.topology == "plan→execute→verify→execute→verify");
  CHECK(out.stage_traces[2]["verdict"] == "none");
  CHECK(out.stage_traces[3]["input_context"].get<std::string>().find("=== verify (verdict none) ===") !=
        std::string::npos);
}

TEST_CASE("max_total_turns stops a retry loop in the middle and says why", "[bench][pipeline][flow]") {
  FlowFixture f;
  std::string spec = kVerifyRetry;
  spec.replace(spec.find("max_total_turns: 20"), 19, "max_total_turns: 8");
  spec.replace(spec.find("max_retries: 2"), 14, "max_retries: 5");
  f.setup(spec, std::string(kPlanAndExecute) + R"(
  - match: {system: VERIFIER}
    reply: {content: "FAIL"}
)");
  AgentOutcome out = f.run();
  CHECK_FALSE(out.error);
  CHECK(out.turns == 8);
  CHECK(out.topology == "plan→execute→verify→execute→verify→execute→verify→execute");
  const json& extra = out.trajectory["final_metrics"]["extra"];
  CHECK(extra["stop_reason"] == "max_total_turns");
  CHECK(extra["stopped_at"] == "verify");
  CHECK(extra["max_total_turns"] == 8);
  CHECK(f.fake.requests().size() == 8);
}

namespace {

const char* kParallel = R"(pipeline:
  stages:
    - {id: plan, system_prompt: PLANNER, max_turns: 1}
    - parallel:
        - {id: solve_a, system_prompt: SOLVER_A, tools: [write_file], max_turns: 3}
        - {id: solve_b, system_prompt: SOLVER_B, tools: [write_file, run_shell], max_turns: 3}
    - {id: pick, system_prompt: JUDGE, max_turns: 1}
    - {id: report, system_prompt: REPORTER, tools: [read_file], max_turns: 1}
)";

const char* kSolvers = R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- two ways"}
  - match: {system: SOLVER_A, role: user}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/answer.txt, content: "A"}}]}
  - match: {system: SOLVER_A, role: tool}
    reply: {content: "A wrote answer.txt"}
  - match: {system: SOLVER_B, role: user}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/b_only.txt, content: "B"}}]}
  - match: {system: SOLVER_B, role: tool}
    reply: {content: "B wrote b_only.txt"}
  - match: {system: REPORTER}
    reply: {content: "reported"}
)";

}  // namespace

TEST_CASE("parallel branches work in their own copies and the run continues in the chosen one",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  f.env.set_file("/app/answer.txt", "start");
  f.setup(kParallel, std::string(kSolvers) + R"(
  - match: {system: JUDGE}
    reply: {content: "solve_a changed the answer; solve_b did not.\nCHOSEN: solve_b"}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→[solve_a|solve_b]→pick→report");
  // solve_b's file is there, solve_a's change is not, and no branch copy is left.
  CHECK(f.env.file("/app/b_only.txt") == "B");
  CHECK(f.env.file("/app/answer.txt") == "start");
  CHECK(f.env.live_branches() == 0);

  REQUIRE(trace_stages(out) == std::vector<std::string>{"plan", "solve_a", "solve_b", "pick", "report"});
  const json& t = out.stage_traces;
  CHECK(t[1]["branch"] == "[solve_a|solve_b]");
  CHECK(t[2]["branch"] == "[solve_a|solve_b]");
  CHECK(t[3]["branch"].is_null());
  CHECK(t[3]["choice"] == json{{"branch", "solve_b"}, {"named", true}});
  CHECK(t[1]["input_context"] == "=== plan ===\n- two ways");
  CHECK(t[2]["input_context"] == "=== plan ===\n- two ways");
  CHECK(t[3]["input_context"] == "=== plan ===\n- two ways\n\n=== solve_a (branch) ===\nA wrote answer.txt"
                                 "\n\n=== solve_b (branch) ===\nB wrote b_only.txt");
  CHECK(t[0]["consumed_by"] == "solve_a");
  CHECK(t[1]["consumed_by"] == "pick");
  CHECK(t[2]["consumed_by"] == "pick");
  CHECK(t[3]["consumed_by"] == "report");
  CHECK(out.turns == 1 + 2 + 2 + 1 + 1);
}

TEST_CASE("a failed branch cannot be chosen, the run goes on with one that succeeded",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  f.setup(kParallel, R"(
rules:
  - match: {system: SOLVER_A}
    fault: {status: 500}
)" + std::string(kSolvers).substr(std::string(kSolvers).find("rules:\n") + 7) + R"(
  - match: {system: JUDGE}
    reply: {content: "CHOSEN: solve_a"}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→[solve_a|solve_b]→pick→report");
  CHECK(out.stage_traces[1]["error"]["type"] == "LlmError");
  CHECK(out.stage_traces[3]["choice"] == json{{"branch", "solve_b"}, {"named", false}});
  CHECK_THAT(out.stage_traces[3]["input_context"].get<std::string>(),
             Catch::Contains("=== solve_a (branch failed) ===\nLlmError"));
  CHECK(f.env.file("/app/b_only.txt") == "B");
  CHECK(f.env.live_branches() == 0);

  SECTION("when every branch fails, the run fails") {
    f.fake.set_script("rules:\n  - match: {system: SOLVER}\n    fault: {status: 500}\n"
                      "  - reply: {content: ok}\n");
    AgentOutcome failed = f.run();
    REQUIRE(failed.error);
    CHECK(to_string(failed.error->type) == "LlmError");
    CHECK(failed.topology == "plan→[solve_a|solve_b]");
    CHECK(f.env.live_branches() == 0);
  }
}

namespace {

const char* kStageTool = R"(pipeline:
  max_total_turns: 10
  stages:
    - id: execute
      system_prompt: EXECUTOR
      tools: [review]
      max_turns: 3
    - id: review
      system_prompt: REVIEWER
      as_tool: "Ask the reviewer."
      tools: [read_file]
      max_turns: 2
)";

}  // namespace

TEST_CASE("a stage offered as a tool runs inside the caller's tool call", "[bench][pipeline][flow]") {
  FlowFixture f;
  f.setup(kStageTool, R"(
rules:
  - match: {system: EXECUTOR, role: user}
    reply: {tool_calls: [{name: review, arguments: {request: "check answer.txt"}, id: call_r}]}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "done, reviewed"}
  - match: {system: REVIEWER}
    reply: {content: "looks right"}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "execute");
  CHECK(out.turns == 3);
  CHECK(out.final_output == "done, reviewed");
  REQUIRE(trace_stages(out) == std::vector<std::string>{"execute", "review"});
  const json& review = out.stage_traces[1];
  CHECK(review["parent_call"] == json{{"stage", "execute"}, {"tool_call_id", "call_r"}});
  CHECK(review["input_context"] == "=== request from execute ===\ncheck answer.txt");
  CHECK(review["consumed_by"] == "execute");
  CHECK(out.stage_traces[0]["parent_call"].is_null());

  auto requests = f.fake.requests();
  REQUIRE(requests.size() == 3);
  // The executor is offered the reviewer as a tool with a request parameter ...
  const json& tools = requests[0]["body"]["tools"];
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["function"]["name"] == "review");
  CHECK(tools[0]["function"]["description"] == "Ask the reviewer.");
  CHECK(tools[0]["function"]["parameters"]["required"] == json::array({"request"}));
  // ... and gets the reviewer's final text as the tool's answer.
  const json& messages = requests[2]["body"]["messages"];
  CHECK(messages.back()["role"] == "tool");
  CHECK(messages.back()["content"] == "looks right");
  // In the trajectory the reviewer's steps sit inside the executor's, pointing at the call.
  std::vector<std::string> order;
  for (const auto& step : out.trajectory["steps"]) {
    if (step["source"] == "agent") order.push_back(step["extra"]["stage"]);
  }
  CHECK(order == std::vector<std::string>{"execute", "review", "execute"});
}

TEST_CASE("a stage offered as a tool cannot call itself, even in a spec validate() rejects",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  std::string spec = kStageTool;
  spec.replace(spec.find("tools: [read_file]"), 18, "tools: [review]");
  f.setup(spec, R"(
rules:
  - match: {system: EXECUTOR, role: user}
    reply: {tool_calls: [{name: review, arguments: {request: "check"}}]}
  - match: {system: REVIEWER, role: user}
    reply: {tool_calls: [{name: review, arguments: {request: "again"}}]}
  - match: {system: REVIEWER, role: tool}
    reply: {content: "could not recurse"}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "done"}
)", /*check=*/false);
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  REQUIRE(trace_stages(out) == std::vector<std::string>{"execute", "review"});
  auto requests = f.fake.requests();
  REQUIRE(requests.size() == 4);
  const json& reviewer_messages = requests[2]["body"]["messages"];
  CHECK_THAT(reviewer_messages.back()["content"].get<std::string>(),
             Catch::Contains("review is already running in this chain (execute → review)") &&
                 Catch::Contains("cannot call itself"));
}

// --- benchmark/examples, end to end on benchmark/tasks/hello-world

namespace {

struct ExampleRun {
  FlowFixture f;
  explicit ExampleRun(const std::string& example, const std::string& script) {
    f.task = load_task(kSource / "benchmark" / "tasks" / "hello-world");
    f.spec = load_pipeline_spec((kSource / "benchmark" / "examples" / (example + ".yaml")).string());
    REQUIRE(validate(f.spec).empty());
    f.fake.set_script(script);
  }
};

const char* kWriteHello = R"({tool_calls: [{name: write_file, arguments: {path: /app/hello.txt, content: "Hello, world!\n"}}]})";

}  // namespace

TEST_CASE("example linear.yaml solves hello-world", "[bench][pipeline][examples]") {
  ExampleRun run("linear", std::string(R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- write /app/hello.txt"}
  - match: {system: EXECUTOR, role: user}
    reply: )") + kWriteHello + R"(
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "wrote it"}
)");
  AgentOutcome out = run.f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→execute");
  CHECK(run.f.env.file("/app/hello.txt") == "Hello, world!\n");
}

TEST_CASE("example verify_retry.yaml fixes hello-world on the second attempt",
          "[bench][pipeline][examples]") {
  ExampleRun run("verify_retry", std::string(R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- write /app/hello.txt"}
  - match: {system: EXECUTOR, role: user, content: "verdict FAIL"}
    reply: )") + kWriteHello + R"(
  - match: {system: EXECUTOR, role: user}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/hello.txt, content: "Hello world"}}]}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "wrote it"}
  - match: {system: VERIFIER}
    times: 1
    reply: {content: "the comma and the newline are missing\nFAIL"}
  - match: {system: VERIFIER}
    reply: {content: "PASS"}
)");
  AgentOutcome out = run.f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→execute→verify→execute→verify");
  CHECK(run.f.env.file("/app/hello.txt") == "Hello, world!\n");
}

TEST_CASE("example parallel_synthesis.yaml continues in the chosen branch",
          "[bench][pipeline][examples]") {
  ExampleRun run("parallel_synthesis", std::string(R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- write /app/hello.txt"}
  - match: {system: SOLVER A, role: user}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/hello.txt, content: "hello"}}]}
  - match: {system: SOLVER B, role: user}
    reply: )") + kWriteHello + R"(
  - match: {role: tool}
    reply: {content: "wrote /app/hello.txt"}
  - match: {system: JUDGE}
    reply: {content: "solve_b matches the task exactly.\nCHOSEN: solve_b"}
)");
  AgentOutcome out = run.f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "plan→[solve_a|solve_b]→pick");
  CHECK(run.f.env.file("/app/hello.txt") == "Hello, world!\n");
  CHECK(run.f.env.live_branches() == 0);
}

TEST_CASE("example stage_as_tool.yaml reviews before it finishes", "[bench][pipeline][examples]") {
  ExampleRun run("stage_as_tool", std::string(R"(
rules:
  - match: {system: EXECUTOR, role: user}
    reply: )") + kWriteHello + R"(
  - match: {system: EXECUTOR, role: tool, content: "^wrote"}
    reply: {tool_calls: [{name: review, arguments: {request: "I wrote /app/hello.txt"}}]}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "done"}
  - match: {system: REVIEWER}
    reply: {content: "OK"}
)");
  AgentOutcome out = run.f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "execute");
  CHECK(trace_stages(out) == std::vector<std::string>{"execute", "review"});
  CHECK(run.f.env.file("/app/hello.txt") == "Hello, world!\n");
}

TEST_CASE("example custom_tool.yaml writes through its own tool", "[bench][pipeline][examples]") {
  ExampleRun run("custom_tool", R"(
rules:
  - match: {system: AGENT, role: user}
    reply: {tool_calls: [{name: put_file, arguments: {path: /app/hello.txt, text: "Hello, world!\n"}}]}
  - match: {system: AGENT, role: tool}
    reply: {content: "done"}
)");
  // The fake environment does what `sh -c 'cat > "$1"' sh PATH` would do with stdin.
  run.f.env.on_command("^sh -c", [&](const FakeEnvironment::Call& call) {
    run.f.env.set_file(call.argv.at(4), call.input);
    return ExecResult{.exit_code = 0, .timed_out = false, .out = "wrote " + call.argv.at(4) + "\n", .err = ""};
  });
  AgentOutcome out = run.f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.topology == "agent");
  CHECK(run.f.env.file("/app/hello.txt") == "Hello, world!\n");
  CHECK(run.f.env.calls().at(0).argv ==
        std::vector<std::string>{"sh", "-c", "cat > \"$1\" && echo \"wrote $1\"", "sh", "/app/hello.txt"});
}

// --- one turn budget across branches and stage-as-tool calls

TEST_CASE("max_total_turns counts the turns of a stage called as a tool and stops the caller",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  std::string spec = kStageTool;
  spec.replace(spec.find("max_total_turns: 10"), 19, "max_total_turns: 4");
  spec.replace(spec.find("max_turns: 2\n"), 12, "max_turns: 4");
  f.setup(spec, R"(
rules:
  - match: {system: EXECUTOR, role: user}
    reply: {tool_calls: [{name: review, arguments: {request: "check"}}]}
  - match: {system: REVIEWER}
    reply: {tool_calls: [{name: read_file, arguments: {path: /app/none.txt}}]}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "done"}
)");
  AgentOutcome out = f.run();
  CHECK_FALSE(out.error);
  CHECK(out.turns == 4);  // one executor turn, three reviewer turns, then nothing is left
  CHECK(f.fake.requests().size() == 4);
  REQUIRE(trace_stages(out) == std::vector<std::string>{"execute", "review"});
  CHECK(out.stage_traces[1]["stop_reason"] == "max_total_turns");
  CHECK(out.stage_traces[0]["stop_reason"] == "max_total_turns");
  const json& extra = out.trajectory["final_metrics"]["extra"];
  CHECK(extra["stop_reason"] == "max_total_turns");
  CHECK(extra["stopped_at"] == "execute");
  CHECK(out.trajectory.dump().find("max_total_turns is reached") != std::string::npos);
}

TEST_CASE("parallel branches share max_total_turns, and running out in a branch stops the run",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  // One pass takes 7 turns; the FAIL sends the run back to plan with 3 left, so the second
  // branches get 2 between them and stop there.
  f.setup(R"(pipeline:
  max_total_turns: 10
  stages:
    - {id: plan, system_prompt: PLANNER, max_turns: 1}
    - parallel:
        - {id: solve_a, system_prompt: SOLVER_A, tools: [write_file], max_turns: 2}
        - {id: solve_b, system_prompt: SOLVER_B, tools: [write_file], max_turns: 2}
    - {id: pick, system_prompt: JUDGE, max_turns: 1}
    - {id: verify, system_prompt: VERIFIER, max_turns: 1, verdict: last_line, on_fail: plan, max_retries: 3}
)", R"(
rules:
  - match: {system: PLANNER}
    reply: {content: "- loop"}
  - match: {system: SOLVER}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/x.txt, content: "x"}}]}
  - match: {system: JUDGE}
    reply: {content: "CHOSEN: solve_a"}
  - match: {system: VERIFIER}
    reply: {content: "FAIL"}
)");
  AgentOutcome out = f.run();
  CHECK_FALSE(out.error);
  CHECK(out.turns == 10);
  CHECK(f.fake.requests().size() == 10);
  CHECK(out.topology == "plan→[solve_a|solve_b]→pick→verify→plan→[solve_a|solve_b]");
  const json& extra = out.trajectory["final_metrics"]["extra"];
  CHECK(extra["stop_reason"] == "max_total_turns");
  REQUIRE(out.stage_traces.size() == 8);
  CHECK(out.stage_traces[6]["turns_used"].get<int>() + out.stage_traces[7]["turns_used"].get<int>() == 2);
  CHECK(out.stage_traces[6]["attempt"] == 2);
  CHECK(f.env.live_branches() == 0);
}

TEST_CASE("a handoff into a parallel group shapes the one context every branch gets",
          "[bench][pipeline][flow]") {
  FlowFixture f;
  f.setup(std::string(kParallel) + "  handoffs:\n    plan->solve_b: {token_budget: 2}\n",
          std::string(kSolvers) + R"(
  - match: {system: condense}
    reply: {content: "2 ways"}
  - match: {system: JUDGE}
    reply: {content: "CHOSEN: solve_a"}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.stage_traces[1]["input_context"] == "=== plan ===\n2 ways");
  CHECK(out.stage_traces[2]["input_context"] == "=== plan ===\n2 ways");
  CHECK(out.stage_traces[1]["handoff_in"]["method"] == "compressed");
  CHECK(f.env.file("/app/answer.txt") == "A");
}
