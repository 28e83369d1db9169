// pipeline_spec.yaml: parsing, defaults, topology, prices, and validate() naming every problem
// with its line.
#include "autoswarm/bench/spec/pipeline_spec.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;

namespace {

const char* kGoodSpec = R"(pipeline:
  model: qwen3-coder
  max_total_turns: 30
  stages:
    - id: plan
      system_prompt: "You plan the work."
      tools: [read_file, run_shell]
      max_turns: 8
      output_format: bullet_list
    - id: execute
      system_prompt: "You carry out the plan."
      tools: [run_shell, write_file, read_file]
      max_turns: 20
      model: bigger-model
  handoffs:
    plan→execute:
      token_budget: 1500
      format: structured_json
      include_raw_output: false
  pricing:
    qwen3-coder: {input_per_mtok: 1.0, output_per_mtok: 2.0}
)";

std::vector<std::string> messages(const std::vector<SpecProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.to_string());
  return out;
}

bool any_contains(const std::vector<std::string>& list, const std::string& text) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& s) { return s.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("a good spec parses into stages, handoffs and prices", "[bench][spec]") {
  PipelineSpec spec = parse_pipeline_spec(kGoodSpec, "spec.yaml");
  CHECK(validate(spec).empty());
  CHECK(spec.model == "qwen3-coder");
  CHECK(spec.max_total_turns == 30);
  REQUIRE(spec.stages.size() == 2);
  const StageSpec& plan = spec.stages[0];
  CHECK(plan.id == "plan");
  CHECK(plan.system_prompt == "You plan the work.");
  CHECK(plan.tools == std::vector<std::string>{"read_file", "run_shell"});
  CHECK(plan.max_turns == 8);
  CHECK(plan.output_format == OutputFormat::kBulletList);
  CHECK(plan.line == 5);
  CHECK(spec.stages[1].model == "bigger-model");
  CHECK(spec.stages[1].output_format == OutputFormat::kProse);

  REQUIRE(spec.handoffs.size() == 1);
  const HandoffSpec* h = spec.find_handoff("plan", "execute");
  REQUIRE(h);
  CHECK(h->token_budget == 1500);
  CHECK(h->format == OutputFormat::kStructuredJson);
  CHECK_FALSE(h->include_raw_output);
  CHECK(h->key() == "plan→execute");
  CHECK(spec.find_handoff("execute", "plan") == nullptr);

  CHECK(spec.topology() == "plan→execute");
  CHECK(spec.turn_cap() == 30);
  CHECK(spec.model_for(spec.stages[0], "run-model") == "qwen3-coder");
  CHECK(spec.model_for(spec.stages[1], "run-model") == "bigger-model");
  CHECK(spec.cost_usd("qwen3-coder", 1'000'000, 500'000) == Approx(2.0));
  CHECK(spec.cost_usd("local-model", 1'000'000, 500'000) == 0.0);
}

TEST_CASE("defaults: max_turns 10, the turn cap sums the stages, the run's model", "[bench][spec]") {
  PipelineSpec spec = parse_pipeline_spec(R"(pipeline:
  stages:
    - {id: a, system_prompt: "A"}
    - {id: b, system_prompt: "B", max_turns: 3}
  handoffs:
    a->b:
)");
  CHECK(validate(spec).empty());
  CHECK(spec.stages[0].max_turns == 10);
  CHECK_FALSE(spec.max_total_turns.has_value());
  CHECK(spec.turn_cap() == 13);
  CHECK(spec.model_for(spec.stages[0], "run-model") == "run-model");
  REQUIRE(spec.handoffs.size() == 1);
  CHECK(spec.handoffs[0].from == "a");
  CHECK(spec.handoffs[0].to == "b");
  CHECK_FALSE(spec.handoffs[0].token_budget.has_value());
  CHECK(spec.edges() == std::vector<std::pair<std::string, std::string>>{{"a", "b"}});
}

TEST_CASE("validate names every problem of a bad spec with its line", "[bench][spec]") {
  PipelineSpec spec = parse_pipeline_spec(R"(pipeline:
  model: m
  max_total_turns: 10
  colour: blue
  stages:
    - id: plan
      system_prompt: ""
      tools: [read_file, bash]
      max_turns: 8
      output_format: xml
    - id: plan
      system_prompt: "again"
      max_turns: 5
      temperature: 0.3
    - id: verify
      system_prompt: "check"
      max_turns: many
  handoffs:
    verify→plan: {token_budget: 100}
    plan=>x: {}
    verify->nowhere: {budget: 3}
    verify->verify: {include_raw_output: maybe}
)", "bad.yaml");
  auto m = messages(validate(spec));
  INFO(Catch::Detail::stringify(m));
  CHECK(any_contains(m, "bad.yaml:4: pipeline: unknown field 'colour'"));
  CHECK(any_contains(m, "bad.yaml:6: stage 'plan' has an empty system_prompt"));
  CHECK(any_contains(m, "bad.yaml:6: stage 'plan': unknown tool 'bash' (known: read_file, run_shell, write_file)"));
  CHECK(any_contains(m, "bad.yaml:10: stage 'plan'.output_format: unknown format 'xml'"));
  CHECK(any_contains(m, "bad.yaml:11: duplicate stage id 'plan' (first at line 6)"));
  CHECK(any_contains(m, "bad.yaml:14: stage 'plan': unknown field 'temperature'"));
  CHECK(any_contains(m, "bad.yaml:17: stage 'verify'.max_turns must be a whole number, not 'many'"));
  CHECK(any_contains(m, "bad.yaml:3: the stages' max_turns add up to 23, over max_total_turns 10"));
  CHECK(any_contains(m, "bad.yaml:19: handoff 'verify→plan' does not connect adjacent stages"));
  CHECK(any_contains(m, "bad.yaml:20: handoff 'plan=>x': a handoff key names two stages"));
  CHECK(any_contains(m, "bad.yaml:21: handoff 'verify->nowhere': unknown field 'budget'"));
  CHECK(any_contains(m, "bad.yaml:21: handoff 'verify→nowhere': no stage 'nowhere'"));
  CHECK(any_contains(m, "bad.yaml:22: handoff 'verify->verify'.include_raw_output must be a true or false"));
  CHECK(any_contains(m, "bad.yaml:22: handoff 'verify→verify' does not connect adjacent stages"));
  CHECK(m.size() == 14);
  CHECK(std::is_sorted(m.begin(), m.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(9)) < std::stoi(b.substr(9));
  }));
}

TEST_CASE("structural problems of a spec", "[bench][spec]") {
  auto problems_of = [](const std::string& yaml) { return messages(validate(parse_pipeline_spec(yaml, "s.yaml"))); };
  CHECK(any_contains(problems_of(""), "the file is empty"));
  CHECK(any_contains(problems_of("stages: []\n"), "unknown field 'stages'"));
  CHECK(any_contains(problems_of("stages: []\n"), "missing `pipeline:`"));
  CHECK(any_contains(problems_of("pipeline: 3\n"), "pipeline must be a mapping"));
  CHECK(any_contains(problems_of("pipeline:\n  model: m\n"), "s.yaml:2: pipeline.stages is missing"));
  CHECK(any_contains(problems_of("pipeline:\n  model: m\n  stages: []\n"),
                     "s.yaml:3: pipeline.stages is empty: a pipeline needs at least one stage"));
  CHECK(any_contains(problems_of("pipeline:\n  stages: {a: 1}\n"), "pipeline.stages must be a list"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - system_prompt: x\n"), "s.yaml:3: a stage has no id"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - {id: 'a b', system_prompt: x}\n"),
                     "an id may hold letters"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - {id: a, system_prompt: x, tools: run_shell}\n"),
                     "tools must be a list"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - {id: a, system_prompt: x, max_turns: 0}\n"),
                     "max_turns must be greater than 0"));
  CHECK(any_contains(problems_of("pipeline:\n  max_total_turns: -2\n  stages:\n    - {id: a, system_prompt: x}\n"),
                     "s.yaml:2: pipeline.max_total_turns must be greater than 0"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - {id: a, system_prompt: [x]}\n"),
                     "system_prompt must be a string"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - {id: a, system_prompt: x}\n  pricing:\n    m: {input_per_mtok: -1}\n"),
                     "s.yaml:5: pipeline.pricing.m.input_per_mtok must not be negative"));
  CHECK(any_contains(problems_of("pipeline:\n  stages:\n    - {id: a, system_prompt: x}\n  handoffs:\n    a->b: {}\n    a→b: {}\n"),
                     "s.yaml:6: handoff 'a→b': duplicate handoff (also at line 5)"));
  CHECK(any_contains(problems_of("pipeline:\n  stages: [\n    - id\n"), "s.yaml:3: not valid YAML"));
}

TEST_CASE("a spec with text that is not UTF-8 names the field instead of throwing", "[bench][spec]") {
  // A Latin-1 byte inside a custom tool's JSON schema: converting it to JSON used to throw
  // nlohmann's type_error.316 out of parse_pipeline_spec.
  const std::string text =
      "pipeline:\n"
      "  tools:\n"
      "    - name: grep_logs\n"
      "      command: [grep, \"{pattern}\"]\n"
      "      parameters: {type: object, description: \"caf\xe9\"}\n"
      "  stages:\n"
      "    - id: solve\n"
      "      system_prompt: \"Fix it \xff\"\n";
  PipelineSpec spec;
  REQUIRE_NOTHROW(spec = parse_pipeline_spec(text, "spec.yaml"));
  REQUIRE(spec.parse_problems.size() == 2);
  CHECK(spec.parse_problems[0].to_string() ==
        "spec.yaml:5: pipeline.tools[0].parameters.description is not UTF-8 (byte 3 of its text): "
        "save the file as UTF-8");
  CHECK(spec.parse_problems[1].to_string() ==
        "spec.yaml:8: pipeline.stages[0].system_prompt is not UTF-8 (byte 7 of its text): "
        "save the file as UTF-8");
}

TEST_CASE("text that is not UTF-8 under an empty or a list key is found too", "[bench][spec]") {
  // Found by fuzz_pipeline_spec: what is under a key that is not a plain string was skipped by the UTF-8 check
  // and reached nlohmann's serializer, which threw type_error.316 out of parse_pipeline_spec.
  const std::string text =
      "pipeline:\n"
      "  tools:\n"
      "    - name: t\n"
      "      command: [t]\n"
      "      parameters: {? : \"\xff\"}\n"
      "  stages:\n"
      "    - {id: solve, system_prompt: s}\n";
  PipelineSpec spec;
  REQUIRE_NOTHROW(spec = parse_pipeline_spec(text, "spec.yaml"));
  REQUIRE(spec.parse_problems.size() == 1);
  CHECK(spec.parse_problems[0].to_string() ==
        "spec.yaml:5: the key pipeline.tools[0].parameters.<key>.<key> is not UTF-8 (byte 0 of its "
        "text): save the file as UTF-8");
}

TEST_CASE("a tool schema whose key is a list is a problem naming the tool, not a throw", "[bench][spec]") {
  const std::string text =
      "pipeline:\n"
      "  tools:\n"
      "    - name: t\n"
      "      command: [t]\n"
      "      parameters: {[a, b]: 1}\n"
      "  stages:\n"
      "    - {id: solve, system_prompt: s}\n";
  PipelineSpec spec;
  REQUIRE_NOTHROW(spec = parse_pipeline_spec(text, "spec.yaml"));
  REQUIRE(spec.parse_problems.size() == 1);
  CHECK(spec.parse_problems[0].to_string() ==
        "spec.yaml:5: tool 't'.parameters is not a JSON schema: a key is a list or a mapping, "
        "and JSON keys are strings");
}

TEST_CASE("load_valid_pipeline_spec lists every problem in its error", "[bench][spec]") {
  autoswarm::testing::TempDir tmp;
  util::write_file_atomic(tmp / "ok.yaml", kGoodSpec);
  CHECK(load_valid_pipeline_spec((tmp / "ok.yaml").string()).stages.size() == 2);
  util::write_file_atomic(tmp / "bad.yaml", "pipeline:\n  extra: 1\n  stages:\n    - {id: a, system_prompt: ''}\n");
  try {
    load_valid_pipeline_spec((tmp / "bad.yaml").string());
    FAIL("no error");
  } catch (const FileError& e) {
    std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("bad.yaml:2: pipeline: unknown field 'extra'"));
    CHECK_THAT(what, Catch::Contains("bad.yaml:4: stage 'a' has an empty system_prompt"));
  }
  CHECK_THROWS_AS(load_pipeline_spec((tmp / "missing.yaml").string()), FileError);
}

TEST_CASE("output formats by name", "[bench][spec]") {
  for (auto f : {OutputFormat::kProse, OutputFormat::kBulletList, OutputFormat::kJson,
                 OutputFormat::kStructuredJson}) {
    CHECK(parse_output_format(to_string(f)) == f);
  }
  CHECK_FALSE(parse_output_format("markdown").has_value());
}

// --- control flow, parallel groups, stages as tools, custom tools

namespace {

const char* kEveryShape = R"(pipeline:
  tools:
    - name: count_lines
      description: "Count a file's lines."
      parameters: {type: object, properties: {path: {type: string}}, required: [path]}
      command: [wc, -l, "{path}"]
      timeout_sec: 5
      max_output_chars: 100
  stages:
    - id: plan
      system_prompt: "PLANNER"
      tools: [read_file, count_lines]
      max_turns: 2
    - parallel:
        - id: solve_a
          system_prompt: "SOLVER A"
          tools: [run_shell, check]
          max_turns: 3
        - id: solve_b
          system_prompt: "SOLVER B"
          tools: [write_file]
          max_turns: 4
    - id: pick
      system_prompt: "JUDGE"
      max_turns: 1
      choice: {json_field: branch}
    - id: execute
      system_prompt: "EXECUTOR"
      max_turns: 5
    - id: verify
      system_prompt: "VERIFIER"
      max_turns: 2
      verdict: last_line
      on_fail: execute
      max_retries: 2
    - id: check
      system_prompt: "CHECKER"
      as_tool: "Ask the checker."
      max_turns: 3
  handoffs:
    verify->execute: {include_raw_output: true}
    solve_b->pick: {token_budget: 100}
)";

}  // namespace

TEST_CASE("every shape parses into flow steps, edges, a topology and a worst-case turn cap",
          "[bench][spec]") {
  PipelineSpec spec = parse_pipeline_spec(kEveryShape, "shapes.yaml");
  INFO(Catch::Detail::stringify(messages(validate(spec))));
  REQUIRE(validate(spec).empty());
  CHECK(spec.topology() == "plan→[solve_a|solve_b]→pick→execute→verify");
  CHECK(spec.flow() == std::vector<std::vector<size_t>>{{0}, {1, 2}, {3}, {4}, {5}});
  CHECK(spec.synthesis_of(1) == spec.find_stage("pick"));
  CHECK(spec.isolated(1));
  const StageSpec& verify = *spec.find_stage("verify");
  REQUIRE(verify.verdict);
  CHECK(verify.verdict->on_fail == "execute");
  CHECK(verify.verdict->max_retries == 2);
  CHECK(verify.verdict->reading.json_field.empty());
  CHECK(spec.find_stage("pick")->choice->json_field == "branch");
  CHECK(spec.find_stage("check")->as_tool == "Ask the checker.");
  CHECK_FALSE(spec.find_stage("check")->in_flow());
  const CustomToolSpec* tool = spec.find_tool("count_lines");
  REQUIRE(tool);
  CHECK(tool->command == std::vector<std::string>{"wc", "-l", "{path}"});
  CHECK(tool->parameters["required"][0] == "path");
  CHECK(tool->timeout_sec == 5);
  CHECK(tool->max_output_chars == 100);
  auto edges = spec.edges();
  using Edge = std::pair<std::string, std::string>;
  for (const Edge& e : {Edge{"plan", "solve_a"}, Edge{"plan", "solve_b"}, Edge{"solve_a", "pick"},
                        Edge{"solve_b", "pick"}, Edge{"pick", "execute"}, Edge{"verify", "execute"}}) {
    CHECK(std::find(edges.begin(), edges.end(), e) != edges.end());
  }
  // One pass: 2 + 3 + 4 + 1 + 5 + 2 = 17; two retries of execute→verify: 14; check once: 3.
  CHECK(spec.turn_cap() == 34);
}

TEST_CASE("validate says where a control-flow spec cannot run", "[bench][spec]") {
  PipelineSpec spec = parse_pipeline_spec(R"(pipeline:
  max_total_turns: 20
  tools:
    - name: splice
      description: "bad"
      parameters: {type: object, properties: {path: {type: string}}, required: [path, other]}
      command: [sh, -c, "cat {path}"]
    - name: empty
      description: "no command"
      parameters: {type: array}
      command: []
    - name: partial
      description: "an argument inside an element"
      parameters: {type: object, properties: {n: {type: integer}}}
      command: [head, "-n{n}", "{m}"]
      stdin: text
  stages:
    - id: plan
      system_prompt: "p"
      max_turns: 2
      on_fail: plan
    - id: execute
      system_prompt: "e"
      tools: [helper, run_shell]
      max_turns: 2
    - id: verify
      system_prompt: "v"
      max_turns: 2
      verdict: last_line
      on_fail: nowhere
    - id: loop
      system_prompt: "l"
      max_turns: 2
      verdict: {json_field: status}
      on_fail: execute
    - parallel:
        - id: a
          system_prompt: "a"
          max_turns: 2
        - id: b
          system_prompt: "b"
          max_turns: 2
    - id: helper
      system_prompt: "h"
      as_tool: "helps"
      tools: [helper]
      max_turns: 30
    - id: ping
      system_prompt: "ping"
      as_tool: "ping"
      tools: [pong]
    - id: pong
      system_prompt: "pong"
      as_tool: "pong"
      tools: [ping]
)", "flow.yaml");
  auto m = messages(validate(spec));
  INFO(Catch::Detail::stringify(m));
  CHECK(any_contains(m, "flow.yaml:4: tool 'splice': parameters required names 'other', which is not in properties"));
  CHECK(any_contains(m, "flow.yaml:4: tool 'splice': command splices {path} into a shell script"));
  CHECK(any_contains(m, "flow.yaml:8: tool 'empty': parameters must have type: object"));
  CHECK(any_contains(m, "flow.yaml:8: tool 'empty': command is empty"));
  CHECK(any_contains(m, "flow.yaml:12: tool 'partial': command element '-n{n}' must be exactly {n}"));
  CHECK(any_contains(m, "flow.yaml:12: tool 'partial': command element {m} names no parameter"));
  CHECK(any_contains(m, "flow.yaml:12: tool 'partial': stdin names 'text', which is not a parameter"));
  CHECK(any_contains(m, "flow.yaml:21: stage 'plan'.on_fail needs a verdict"));
  CHECK(any_contains(m, "flow.yaml:29: stage 'verify': on_fail names no stage 'nowhere'"));
  CHECK(any_contains(m, "flow.yaml:34: stage 'loop': on_fail loops back without a retry limit: add max_retries"));
  CHECK(any_contains(m, "flow.yaml:37: the parallel group at line 37 has no synthesis stage"));
  CHECK(any_contains(m, "flow.yaml:43: stage 'helper' is offered as a tool and lists itself as a tool"));
  CHECK(any_contains(m, "flow.yaml:43: stage 'helper': max_turns 30 can never fit in max_total_turns 20"));
  CHECK(any_contains(m, "flow.yaml:48: stage 'ping' is offered as a tool and can end up calling itself"));
  CHECK(any_contains(m, "flow.yaml:52: stage 'pong' is offered as a tool and can end up calling itself"));
}

TEST_CASE("validate rejects branches and synthesis stages that cannot work", "[bench][spec]") {
  auto problems_of = [](const std::string& yaml) { return messages(validate(parse_pipeline_spec(yaml, "g.yaml"))); };
  const std::string one_branch = R"(pipeline:
  stages:
    - parallel:
        - {id: a, system_prompt: a}
    - {id: pick, system_prompt: p}
)";
  CHECK(any_contains(problems_of(one_branch), "g.yaml:4: the parallel group at line 4 has one branch"));
  const std::string writing_judge = R"(pipeline:
  stages:
    - parallel:
        - {id: a, system_prompt: a, tools: [run_shell]}
        - {id: b, system_prompt: b, tools: [write_file]}
    - {id: pick, system_prompt: p, tools: [write_file]}
)";
  CHECK(any_contains(problems_of(writing_judge),
                     "g.yaml:6: stage 'pick' is the synthesis stage of branches that each work in their own container"));
  const std::string stray_choice = R"(pipeline:
  stages:
    - {id: a, system_prompt: a, choice: last_line}
    - {id: b, system_prompt: b, verdict: maybe}
)";
  CHECK(any_contains(problems_of(stray_choice), "g.yaml:3: stage 'a': choice is for the synthesis stage"));
  CHECK(any_contains(problems_of(stray_choice), "g.yaml:4: stage 'b'.verdict must be last_line or {json_field: <name>}"));
  const std::string forward_goto = R"(pipeline:
  stages:
    - {id: a, system_prompt: a, verdict: last_line, on_fail: b, max_retries: 1}
    - {id: b, system_prompt: b}
)";
  CHECK(any_contains(problems_of(forward_goto), "g.yaml:3: stage 'a': on_fail 'b' must be an earlier stage of the flow"));
  const std::string budget = R"(pipeline:
  max_total_turns: 5
  stages:
    - {id: a, system_prompt: a, max_turns: 3}
    - parallel:
        - {id: b, system_prompt: b, max_turns: 2}
        - {id: c, system_prompt: c, max_turns: 2}
    - {id: d, system_prompt: d, max_turns: 1}
)";
  CHECK(any_contains(problems_of(budget), "g.yaml:2: the stages' max_turns add up to 8, over max_total_turns 5"));
}

TEST_CASE("every example spec in benchmark/examples is valid", "[bench][spec]") {
  const std::filesystem::path dir = std::filesystem::path(AUTOSWARM_SOURCE_DIR) / "benchmark" / "examples";
  std::map<std::string, std::string> topologies;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    PipelineSpec spec = load_pipeline_spec(entry.path().string());
    INFO(entry.path().string() << "\n" << Catch::Detail::stringify(messages(validate(spec))));
    CHECK(validate(spec).empty());
    topologies[entry.path().stem().string()] = spec.topology();
  }
  CHECK(topologies == std::map<std::string, std::string>{
                          {"linear", "plan→execute"},
                          {"verify_retry", "plan→execute→verify"},
                          {"parallel_synthesis", "plan→[solve_a|solve_b]→pick"},
                          {"stage_as_tool", "execute"},
                          {"custom_tool", "agent"}});
}
