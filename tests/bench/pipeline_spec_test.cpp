// pipeline_spec.yaml: parsing, defaults, topology, prices, and validate() naming every problem
// with its line.
#include "autoswarm/bench/pipeline_spec.h"

#include <catch2/catch.hpp>

#include <algorithm>

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

TEST_CASE("the single-agent baseline spec", "[bench][spec]") {
  PipelineSpec spec = single_agent_spec();
  CHECK(validate(spec).empty());
  REQUIRE(spec.stages.size() == 1);
  CHECK(spec.stages[0].system_prompt == "You are an agent that executes tasks");
  CHECK(spec.stages[0].max_turns == 30);
  CHECK(spec.turn_cap() == 30);
  CHECK(spec.topology() == "agent");
}

TEST_CASE("output formats by name", "[bench][spec]") {
  for (auto f : {OutputFormat::kProse, OutputFormat::kBulletList, OutputFormat::kJson,
                 OutputFormat::kStructuredJson}) {
    CHECK(parse_output_format(to_string(f)) == f);
  }
  CHECK_FALSE(parse_output_format("markdown").has_value());
}
