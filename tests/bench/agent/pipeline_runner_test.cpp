// run_agent() for the pipeline and single-agent baseline against the fake upstream and a fake
// environment: stage order and context, handoffs, the topology, traces, ATIF, budgets, errors.
#include <catch2/catch.hpp>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/fake_environment.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using autoswarm::testing::FakeUpstream;
using nlohmann::json;

namespace {

const char* kTwoStages = R"(pipeline:
  model: fake-model
  max_total_turns: 12
  stages:
    - id: plan
      system_prompt: "You are the PLANNER."
      tools: [read_file]
      max_turns: 4
      output_format: bullet_list
    - id: execute
      system_prompt: "You are the EXECUTOR."
      tools: [run_shell, write_file]
      max_turns: 8
      model: exec-model
  handoffs:
    plan->execute: {token_budget: 1000}
  pricing:
    exec-model: {input_per_mtok: 1000000, output_per_mtok: 0}
)";

// The planner reads a file then plans; the executor writes the answer then reports.
const char* kSolvingScript = R"(
rules:
  - match: {system: PLANNER, content: "^TASK:"}
    reply: {tool_calls: [{name: read_file, arguments: {path: notes.txt}, id: r1}], usage: {prompt_tokens: 10, completion_tokens: 1}}
  - match: {system: PLANNER, role: tool}
    reply: {content: "- write 42 to /app/answer.txt", usage: {prompt_tokens: 20, completion_tokens: 2}}
  - match: {system: EXECUTOR, content: "^TASK:"}
    reply: {tool_calls: [{name: write_file, arguments: {path: /app/answer.txt, content: "42"}, id: w1}], usage: {prompt_tokens: 30, completion_tokens: 3}}
  - match: {system: EXECUTOR, role: tool}
    reply: {content: "Wrote the answer.", usage: {prompt_tokens: 40, completion_tokens: 4}}
)";

struct PipelineFixture {
  FakeUpstream fake{{.models = {{"fake-model", true}, {"exec-model", true}, {"run-model", true}}}};
  llm::Client client{fake.client_options()};
  FakeEnvironment env;
  Task task;
  PipelineSpec spec = parse_pipeline_spec(kTwoStages);

  PipelineFixture() {
    task.name = "answer";
    task.instruction = "Put the answer in /app/answer.txt.";
    env.set_file("/app/notes.txt", "the answer is 42");
    REQUIRE(validate(spec).empty());
  }

  AgentOutcome run(AgentKind kind = AgentKind::kPipeline) {
    return run_agent(kind, {.task = task, .env = env, .client = &client, .spec = &spec, .model = "run-model"});
  }

  std::vector<json> chat_bodies() const {
    std::vector<json> out;
    for (const auto& r : fake.requests()) out.push_back(r["body"]);
    return out;
  }
};

}  // namespace

TEST_CASE("a two-stage pipeline runs its stages in order with context", "[bench][pipeline]") {
  PipelineFixture f;
  f.fake.set_script(kSolvingScript);
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(f.env.file("/app/answer.txt") == "42");
  CHECK(out.agent_name == "autoswarm-pipeline");
  CHECK(out.topology == "plan→execute");
  CHECK(out.final_output == "Wrote the answer.");
  CHECK(out.turns == 4);

  auto bodies = f.chat_bodies();
  REQUIRE(bodies.size() == 4);
  CHECK(bodies[0]["model"] == "fake-model");
  CHECK(bodies[2]["model"] == "exec-model");
  std::string exec_user = bodies[2]["messages"][1]["content"];
  CHECK(exec_user == "TASK:\nPut the answer in /app/answer.txt.\n\nCONTEXT FROM PREVIOUS STAGES:\n"
                     "=== plan ===\n- write 42 to /app/answer.txt");
  std::string plan_user = bodies[0]["messages"][1]["content"];
  CHECK_THAT(plan_user, Catch::EndsWith("CONTEXT FROM PREVIOUS STAGES:\n(none: this is the first stage)"));

  // Tokens and cost, per stage and in total.
  REQUIRE(out.stage_usage.size() == 2);
  CHECK(out.stage_usage[0].stage == "plan");
  CHECK(out.stage_usage[0].model == "fake-model");
  CHECK(out.stage_usage[0].usage.prompt_tokens == 30);
  CHECK(out.stage_usage[0].usage.cost_usd == 0.0);  // unpriced
  CHECK(out.stage_usage[1].usage.prompt_tokens == 70);
  CHECK(out.stage_usage[1].usage.cost_usd == Approx(70.0));
  CHECK(out.total.prompt_tokens == 100);
  CHECK(out.total.completion_tokens == 10);
  CHECK(out.cost_usd() == Approx(70.0));

  // stage_traces.json
  REQUIRE(out.stage_traces.size() == 2);
  const json& t0 = out.stage_traces[0];
  CHECK(t0["stage"] == "plan");
  CHECK(t0["model"] == "fake-model");
  CHECK(t0["input_context"] == "(none: this is the first stage)");
  CHECK(t0["output"] == "- write 42 to /app/answer.txt");
  CHECK(t0["turns_used"] == 2);
  CHECK(t0["stop_reason"] == "answered");
  CHECK(t0["tokens"]["prompt_tokens"] == 30);
  CHECK(t0["handoff_in"].is_null());
  const json& t1 = out.stage_traces[1];
  CHECK(t1["stage"] == "execute");
  CHECK(t1["input_context"] == "=== plan ===\n- write 42 to /app/answer.txt");
  CHECK(t1["handoff_in"]["method"] == "unchanged");
  CHECK(t1["handoff_in"]["from"] == "plan");

  // trajectory.json
  const json& traj = out.trajectory;
  CHECK(traj["schema_version"] == "ATIF-v1.6");
  CHECK(traj["agent"]["name"] == "autoswarm-pipeline");
  CHECK(traj["agent"]["model_name"] == "fake-model");
  const json& steps = traj["steps"];
  REQUIRE(steps.size() == 8);  // per stage: system, user, two agent steps
  std::vector<std::string> sources;
  for (const auto& s : steps) sources.push_back(s["source"]);
  CHECK(sources == std::vector<std::string>{"system", "user", "agent", "agent", "system", "user", "agent", "agent"});
  CHECK(steps[2]["tool_calls"][0]["function_name"] == "read_file");
  CHECK(steps[2]["observation"]["results"][0]["content"] == "the answer is 42");
  CHECK(steps[6]["model_name"] == "exec-model");
  CHECK(steps[6]["extra"]["stage"] == "execute");
  const json& fm = traj["final_metrics"];
  CHECK(fm["total_prompt_tokens"] == 100);
  CHECK(fm["total_steps"] == 8);
  CHECK(fm["total_cost_usd"] == Approx(70.0));
  CHECK(fm["extra"]["pipeline_topology"] == "plan→execute");
  CHECK(fm["extra"]["stop_reason"] == "completed");

  autoswarm::testing::TempDir tmp;
  write_agent_outputs(out, TrialDir(tmp.path()));
  CHECK(json::parse(util::read_file(tmp / "agent" / "stage_traces.json")) == out.stage_traces);
  CHECK(json::parse(util::read_file(tmp / "agent" / "trajectory.json"))["steps"].size() == 8);
}

TEST_CASE("a handoff over budget is compressed between the stages", "[bench][pipeline]") {
  PipelineFixture f;
  f.spec.handoffs[0].token_budget = 5;  // the plan (29 characters) is over 20
  f.fake.set_script(std::string(kSolvingScript) + R"(
  - match: {system: "condense"}
    reply: {content: "42→answer.txt", usage: {prompt_tokens: 5, completion_tokens: 5}}
)");
  AgentOutcome out = f.run();
  REQUIRE_FALSE(out.error);
  CHECK(out.stage_traces[1]["handoff_in"]["method"] == "compressed");
  CHECK(out.stage_traces[1]["input_context"] == "=== plan ===\n42→answer.txt");
  CHECK(out.turns == 4);                      // the compression call is not a stage turn
  CHECK(out.total.prompt_tokens == 105);      // but its tokens count
  const json& steps = out.trajectory["steps"];
  REQUIRE(steps.size() == 9);
  CHECK(steps[4]["source"] == "agent");
  CHECK(steps[4]["extra"]["kind"] == "handoff_compression");
  CHECK(steps[4]["message"] == "42→answer.txt");
}

TEST_CASE("max_total_turns stops the pipeline before the next stage", "[bench][pipeline]") {
  PipelineFixture f;
  f.spec.max_total_turns = 3;
  f.spec.stages[0].max_turns = 3;
  f.fake.set_script("rules:\n  - reply: {tool_calls: [{name: read_file, arguments: {path: notes.txt}}]}\n");
  AgentOutcome out = f.run();
  CHECK_FALSE(out.error);
  CHECK(out.turns == 3);
  CHECK(out.topology == "plan");
  CHECK(out.stage_traces.size() == 1);
  CHECK(out.stage_traces[0]["stop_reason"] == "max_turns");
  CHECK(out.trajectory["final_metrics"]["extra"]["stop_reason"] == "max_total_turns");
}

TEST_CASE("a failing stage ends the run with Harbor's error name", "[bench][pipeline]") {
  PipelineFixture f;
  SECTION("the upstream fails") {
    f.fake.set_script("rules:\n  - fault: {status: 500}\n");
    AgentOutcome out = f.run();
    REQUIRE(out.error);
    CHECK(to_string(out.error->type) == "LlmError");
    CHECK(out.topology == "plan");
    CHECK(out.stage_traces[0]["error"]["type"] == "LlmError");
    CHECK(out.trajectory["final_metrics"]["extra"]["stop_reason"] == "error");
  }
  SECTION("the agent timeout") {
    f.fake.set_script(kSolvingScript);
    AgentOutcome out = run_agent(AgentKind::kPipeline, {.task = f.task, .env = f.env, .client = &f.client,
                                                        .spec = &f.spec, .timeout = std::chrono::milliseconds(0)});
    REQUIRE(out.error);
    CHECK(to_string(out.error->type) == "AgentTimeoutError");
    CHECK(f.fake.requests().empty());
  }
  SECTION("no client is a usage error") {
    CHECK_THROWS_AS(run_agent(AgentKind::kPipeline, {.task = f.task, .env = f.env, .spec = &f.spec}), UsageError);
  }
}

TEST_CASE("the single-agent baseline is one 30-turn stage with every tool", "[bench][pipeline]") {
  PipelineFixture f;
  f.spec.pricing["run-model"] = {1000000, 1000000};
  f.fake.set_script(R"(
rules:
  - match: {system: "^You are an agent that executes tasks"}
    reply: {content: "done", usage: {prompt_tokens: 1, completion_tokens: 1}}
)");
  AgentOutcome out = f.run(AgentKind::kSingle);
  REQUIRE_FALSE(out.error);
  CHECK(out.agent_name == "autoswarm-single");
  CHECK(out.topology == "agent");
  CHECK(out.final_output == "done");
  CHECK(out.cost_usd() == Approx(2.0));  // the spec's prices apply to the baseline too
  auto bodies = f.chat_bodies();
  REQUIRE(bodies.size() == 1);
  CHECK(bodies[0]["model"] == "run-model");
  CHECK(bodies[0]["tools"].size() == 3);
  CHECK(out.trajectory["final_metrics"]["extra"]["max_total_turns"] == 30);
}
