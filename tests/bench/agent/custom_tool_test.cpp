// Custom tools from pipeline.tools with a fake environment: hostile arguments reach the command as
// single argv elements (never a shell), stdin, non-string arguments, the timeout and the output cap.
#include "autoswarm/bench/agent/custom_tool.h"

#include <catch2/catch.hpp>

#include "support/fake_environment.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using nlohmann::json;

namespace {

// The tools of `yaml` (a pipeline spec) in a registry, as a pipeline run has them.
ToolRegistry registry_of(const std::string& yaml, PipelineSpec& spec) {
  spec = parse_pipeline_spec(yaml, "tools.yaml");
  REQUIRE(validate(spec).empty());
  ToolRegistry registry;
  for (const CustomToolSpec& tool : spec.tools) registry.add(custom_tool(tool));
  return registry;
}

llm::ToolCall tool_call(const std::string& name, const json& arguments) {
  llm::ToolCall c;
  c.id = "call_1";
  c.name = name;
  c.arguments = arguments.dump();
  llm::parse_tool_arguments(c);
  return c;
}

ToolResult call(const ToolRegistry& registry, FakeEnvironment& env, const std::string& name,
                const json& arguments) {
  ToolContext ctx{env};
  return registry.call(tool_call(name, arguments), ctx);
}

const char* kTools = R"(pipeline:
  tools:
    - name: count_words
      description: "Count the words of a file."
      parameters:
        type: object
        properties:
          path: {type: string}
          limit: {type: integer}
        required: [path]
      command: [wc, -w, "--", "{path}"]
      timeout_sec: 7
      max_output_chars: 40
    - name: save
      description: "Save text to a file."
      parameters:
        type: object
        properties:
          path: {type: string}
          text: {type: string}
          options: {type: object}
        required: [path, text]
      command: [sh, -c, 'cat > "$1"', sh, "{path}", "{options}"]
      stdin: text
  stages:
    - {id: a, system_prompt: a, tools: [count_words, save]}
)";

}  // namespace

TEST_CASE("a hostile argument reaches the command as one argv element, never a shell",
          "[bench][tools][custom]") {
  PipelineSpec spec;
  ToolRegistry tools = registry_of(kTools, spec);
  FakeEnvironment env;
  const std::string hostile = "a.txt; rm -rf / #\"'$(reboot)`id`";
  ToolResult r = call(tools, env, "count_words", {{"path", hostile}});
  CHECK_FALSE(r.is_error);
  REQUIRE(env.calls().size() == 1);
  CHECK(env.calls()[0].argv == std::vector<std::string>{"wc", "-w", "--", hostile});
  CHECK(env.calls()[0].input.empty());

  // The schema is the spec's, and arguments are checked against it before anything runs.
  json schema = tools.schemas({"count_words"})[0]["function"];
  CHECK(schema["description"] == "Count the words of a file.");
  CHECK(schema["parameters"]["required"] == json::array({"path"}));
  ToolResult missing = call(tools, env, "count_words", {{"limit", 3}});
  CHECK(missing.is_error);
  CHECK_THAT(missing.content, Catch::Contains("missing required argument 'path'"));
  CHECK(env.calls().size() == 1);
}

TEST_CASE("stdin carries an argument and non-string arguments arrive as JSON text",
          "[bench][tools][custom]") {
  PipelineSpec spec;
  ToolRegistry tools = registry_of(kTools, spec);
  FakeEnvironment env;
  const std::string text = "line 1\n'quoted' \"double\" ; rm -rf /\n";
  call(tools, env, "save", {{"path", "/app/out.txt"}, {"text", text}, {"options", {{"mode", 7}}}});
  const auto calls = env.calls();
  REQUIRE(calls.size() == 1);
  const auto& c = calls[0];
  CHECK(c.argv == std::vector<std::string>{"sh", "-c", "cat > \"$1\"", "sh", "/app/out.txt", "{\"mode\":7}"});
  CHECK(c.input == text);
  // An optional argument left out becomes an empty element, keeping the positions.
  call(tools, env, "save", {{"path", "/app/x"}, {"text", ""}});
  CHECK(env.calls()[1].argv.back().empty());
  CHECK(custom_tool_argv(*spec.find_tool("count_words"), {{"path", 12}}).back() == "12");
}

TEST_CASE("a custom tool's timeout and output cap", "[bench][tools][custom]") {
  PipelineSpec spec;
  ToolRegistry tools = registry_of(kTools, spec);
  FakeEnvironment env;
  SECTION("the command gets the tool's timeout and the model is told it was killed") {
    env.on_command("^wc", bench::ExecResult{.exit_code = 137, .timed_out = true, .out = "", .err = ""});
    ToolResult r = call(tools, env, "count_words", {{"path", "big"}});
    CHECK(env.calls()[0].timeout == std::chrono::seconds(7));
    CHECK_THAT(r.content, Catch::Contains("TIMED OUT: the command was killed after 7 s") &&
                              Catch::EndsWith("EXIT CODE: 137"));
  }
  SECTION("the time the agent has left caps the timeout") {
    ToolContext ctx{env};
    ctx.time_left = std::chrono::milliseconds(1500);
    tools.call(tool_call("count_words", {{"path", "a"}}), ctx);
    CHECK(env.calls()[0].timeout == std::chrono::milliseconds(1500));
  }
  SECTION("each stream is cut to max_output_chars") {
    env.on_command("^wc", bench::ExecResult{.exit_code = 0, .timed_out = false,
                                            .out = std::string(1000, 'x'), .err = "short"});
    ToolResult r = call(tools, env, "count_words", {{"path", "big"}});
    CHECK_THAT(r.content, Catch::Contains("characters omitted") && Catch::Contains("STDERR:\nshort\n"));
    CHECK(r.content.size() < 200);
  }
  SECTION("a vanished environment stops the agent instead of answering the model") {
    env.set_gone(true);
    ToolContext ctx{env};
    CHECK_THROWS_AS(tools.call(tool_call("count_words", {{"path", "a"}}), ctx), EnvironmentGone);
  }
}

TEST_CASE("a custom tool call too long for the command line answers with an error",
          "[bench][tools][custom]") {
  PipelineSpec spec;
  ToolRegistry registry = registry_of(kTools, spec);
  FakeEnvironment env;
  env.on_command("^wc", [](const FakeEnvironment::Call&) -> ExecResult {
    throw CommandTooLongError("cannot run wc in fake: its argument 3 is 200000 bytes");
  });
  ToolResult r = call(registry, env, "count_words", {{"path", std::string(200000, 'p')}});
  CHECK(r.is_error);
  CHECK_THAT(r.content, Catch::StartsWith("error: cannot run wc in fake: its argument 3 is 200000 bytes") &&
                            Catch::Contains("every argument on its command line"));
}
