// The agents run_agent() can run, as the command line names them, and the single-agent baseline
// as a spec; the built-in tools the spec layer names are the ones the agent layer runs.
#include <catch2/catch.hpp>

#include <set>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/bench/agent/tool_registry.h"
#include "autoswarm/bench/spec/pipeline_spec.h"

using namespace autoswarm::bench;

TEST_CASE("the single-agent baseline spec", "[bench][spec]") {
  PipelineSpec spec = single_agent_spec();
  CHECK(validate(spec).empty());
  REQUIRE(spec.stages.size() == 1);
  CHECK(spec.stages[0].system_prompt == "You are an agent that executes tasks");
  CHECK(spec.stages[0].max_turns == 30);
  CHECK(spec.turn_cap() == 30);
  CHECK(spec.topology() == "agent");
}

TEST_CASE("the built-in tools a spec may name are the ones the agent runs", "[bench][tools]") {
  const std::vector<std::string> names = builtin_tool_names();
  CHECK(names == std::vector<std::string>{"run_shell", "read_file", "write_file"});
  CHECK(ToolRegistry::builtin().names() == std::set<std::string>(names.begin(), names.end()));
  CHECK(single_agent_spec().stages[0].tools == names);
}
