// The tool registry with a fake environment: schemas, the built-in tools' output and limits, and
// every failure coming back as a tool result instead of an exception.
#include "autoswarm/bench/agent/tool_registry.h"

#include <catch2/catch.hpp>

#include "support/fake_environment.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeEnvironment;
using nlohmann::json;

namespace {

llm::ToolCall tool_call(const std::string& name, const std::string& arguments) {
  llm::ToolCall c;
  c.id = "call_1";
  c.name = name;
  c.arguments = arguments;
  llm::parse_tool_arguments(c);
  return c;
}

}  // namespace

TEST_CASE("the built-in tools and their schemas", "[bench][tools]") {
  const ToolRegistry& tools = ToolRegistry::builtin();
  CHECK(tools.names() == std::set<std::string>{"read_file", "run_shell", "write_file"});
  json schemas = tools.schemas({"write_file", "nope", "run_shell"});
  REQUIRE(schemas.size() == 2);
  CHECK(schemas[0]["type"] == "function");
  CHECK(schemas[0]["function"]["name"] == "write_file");
  CHECK(schemas[0]["function"]["parameters"]["required"] == json::array({"path", "content"}));
  CHECK(schemas[1]["function"]["name"] == "run_shell");
  CHECK(schemas[1]["function"]["parameters"]["properties"]["command"]["type"] == "string");
}

TEST_CASE("run_shell runs bash -lc and labels stdout, stderr and the exit code", "[bench][tools]") {
  FakeEnvironment env;
  env.on_command("^ls", ExecResult{.exit_code = 2, .timed_out = false, .out = "a.txt\n", .err = "ls: no b\n"});
  ToolContext ctx{env};
  ToolResult r = ToolRegistry::builtin().call(tool_call("run_shell", R"({"command":"ls -la; echo 'x'"})"), ctx);
  CHECK_FALSE(r.is_error);
  CHECK(r.content == "STDOUT:\na.txt\nSTDERR:\nls: no b\nEXIT CODE: 2");
  auto calls = env.calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].argv == std::vector<std::string>{"bash", "-lc", "ls -la; echo 'x'"});
  CHECK(calls[0].timeout == std::chrono::seconds(120));
}

TEST_CASE("run_shell: empty output, timeouts and the output cap", "[bench][tools]") {
  FakeEnvironment env;
  SECTION("empty streams say so") {
    ToolContext ctx{env};
    ToolResult r = ToolRegistry::builtin().call(tool_call("run_shell", R"({"command":"true"})"), ctx);
    CHECK(r.content == "STDOUT:\n(empty)\nSTDERR:\n(empty)\nEXIT CODE: 0");
  }
  SECTION("the timeout is capped by the agent's time left, and a kill is reported") {
    env.on_command("sleep", ExecResult{.exit_code = 137, .timed_out = true, .out = "", .err = ""});
    ToolContext ctx{env, "/app", std::chrono::seconds(5)};
    ToolResult r = ToolRegistry::builtin().call(tool_call("run_shell", R"({"command":"sleep 999"})"), ctx);
    CHECK(env.calls().at(0).timeout == std::chrono::seconds(5));
    CHECK_THAT(r.content, Catch::Contains("TIMED OUT: the command was killed after 5 s"));
    CHECK_THAT(r.content, Catch::EndsWith("EXIT CODE: 137"));
  }
  SECTION("huge output keeps its head and tail") {
    std::string big = "HEAD" + std::string(50000, 'x') + "TAIL";
    env.on_command("cat", ExecResult{.exit_code = 0, .timed_out = false, .out = big, .err = ""});
    ToolContext ctx{env};
    ToolResult r = ToolRegistry::builtin().call(tool_call("run_shell", R"({"command":"cat big"})"), ctx);
    CHECK(r.content.size() < 9000);
    CHECK_THAT(r.content, Catch::StartsWith("STDOUT:\nHEAD"));
    CHECK_THAT(r.content, Catch::Contains("TAIL\nSTDERR:"));
    CHECK_THAT(r.content, Catch::Contains("characters omitted"));
  }
  SECTION("bytes that are not UTF-8 are replaced") {
    env.on_command("bin", ExecResult{.exit_code = 0, .timed_out = false, .out = "ok\xff\xfe", .err = ""});
    ToolContext ctx{env};
    ToolResult r = ToolRegistry::builtin().call(tool_call("run_shell", R"({"command":"bin"})"), ctx);
    CHECK_NOTHROW(json(r.content).dump());
    CHECK_THAT(r.content, Catch::Contains("ok\xEF\xBF\xBD"));
  }
}

TEST_CASE("read_file and write_file resolve relative paths against the workdir", "[bench][tools]") {
  FakeEnvironment env;
  ToolContext ctx{env, "/app"};
  const ToolRegistry& tools = ToolRegistry::builtin();
  ToolResult w = tools.call(tool_call("write_file", R"({"path":"src/../out.txt","content":"hello"})"), ctx);
  CHECK_FALSE(w.is_error);
  CHECK(w.content == "wrote 5 bytes to /app/out.txt");
  CHECK(env.file("/app/out.txt") == "hello");
  CHECK(tools.call(tool_call("read_file", R"({"path":"out.txt"})"), ctx).content == "hello");
  CHECK(tools.call(tool_call("read_file", R"({"path":"/app/out.txt"})"), ctx).content == "hello");

  ToolResult missing = tools.call(tool_call("read_file", R"({"path":"/etc/nothing"})"), ctx);
  CHECK(missing.is_error);
  CHECK_THAT(missing.content, Catch::StartsWith("error: cannot read /etc/nothing"));

  env.set_file("/app/big", std::string(200000, 'y'));
  ToolResult big = tools.call(tool_call("read_file", R"({"path":"big"})"), ctx);
  CHECK(big.content.size() < 100300);
  CHECK_THAT(big.content, Catch::Contains("the file is longer"));
}

TEST_CASE("the model's mistakes come back as tool results", "[bench][tools]") {
  FakeEnvironment env;
  ToolContext ctx{env};
  const ToolRegistry& tools = ToolRegistry::builtin();
  SECTION("an unknown tool lists the available ones") {
    ToolResult r = tools.call(tool_call("bash", R"({"cmd":"ls"})"), ctx);
    CHECK(r.is_error);
    CHECK(r.content == "error: there is no tool named 'bash'. Available tools: run_shell, read_file, write_file.");
  }
  SECTION("arguments that are not JSON") {
    ToolResult r = tools.call(tool_call("run_shell", R"({"command": "ls)"), ctx);
    CHECK(r.is_error);
    CHECK_THAT(r.content, Catch::StartsWith("error: the arguments of run_shell are not valid:"));
  }
  SECTION("a missing required argument") {
    ToolResult r = tools.call(tool_call("write_file", R"({"path":"x"})"), ctx);
    CHECK(r.is_error);
    CHECK_THAT(r.content, Catch::Contains("missing required argument 'content'"));
  }
  SECTION("an argument of the wrong type") {
    ToolResult r = tools.call(tool_call("run_shell", R"({"command": ["ls"]})"), ctx);
    CHECK_THAT(r.content, Catch::Contains("argument 'command' must be of type string"));
  }
  SECTION("arguments that are not an object") {
    ToolResult r = tools.call(tool_call("run_shell", R"("ls")"), ctx);
    CHECK_THAT(r.content, Catch::Contains("not a JSON object"));
  }
  CHECK(env.calls().empty());
}

TEST_CASE("a failing tool is a tool result, and a vanished environment stops the agent", "[bench][tools]") {
  FakeEnvironment env;
  ToolContext ctx{env};
  ToolRegistry tools = ToolRegistry::builtin();
  tools.add({"explode", "throws", nullptr, [](const json&, ToolContext&) -> ToolResult {
               throw std::runtime_error("kaboom");
             }});
  ToolResult r = tools.call(tool_call("explode", "{}"), ctx);
  CHECK(r.is_error);
  CHECK(r.content == "error: explode failed: kaboom");

  env.set_gone(true);
  CHECK_THROWS_AS(tools.call(tool_call("run_shell", R"({"command":"ls"})"), ctx), EnvironmentGone);
  ToolResult read = tools.call(tool_call("read_file", R"({"path":"/x"})"), ctx);
  CHECK(read.is_error);
}

TEST_CASE("adding a tool is one registration", "[bench][tools]") {
  ToolRegistry tools;
  tools.add({"word_count", "Counts words",
             {{"type", "object"},
              {"properties", {{"text", {{"type", "string"}}}}},
              {"required", {"text"}}},
             [](const json& args, ToolContext&) {
               std::string text = args["text"];
               return ToolResult{std::to_string(std::count(text.begin(), text.end(), ' ') + 1)};
             }});
  FakeEnvironment env;
  ToolContext ctx{env};
  CHECK(tools.names() == std::set<std::string>{"word_count"});
  CHECK(tools.schemas({"word_count"})[0]["function"]["description"] == "Counts words");
  CHECK(tools.call(tool_call("word_count", R"({"text":"a b c"})"), ctx).content == "3");
  CHECK_THROWS_AS(tools.add({"", "", nullptr, nullptr}), Error);
}

TEST_CASE("cap_output", "[bench][tools]") {
  CHECK(cap_output("short", 10) == "short");
  std::string capped = cap_output(std::string(100, 'a') + std::string(100, 'b'), 30);
  CHECK_THAT(capped, Catch::StartsWith("aaaaaaaaaaaaaaaaaaaa\n[... 170 characters omitted ...]\nbbbbbbbbbb"));
  std::string utf8 = cap_output("ééééééééééééééééééééé", 9);  // never splits a character
  CHECK_NOTHROW(json(utf8).dump());
}

TEST_CASE("a command too long to start is an error answer for the model, not a lost environment",
          "[bench][tools]") {
  FakeEnvironment env;
  env.on_command("^python3", [](const FakeEnvironment::Call&) -> ExecResult {
    throw CommandTooLongError("cannot run python3 in fake: its argument 2 is 200000 bytes");
  });
  ToolContext ctx{env};
  ToolResult r = ToolRegistry::builtin().call(
      tool_call("run_shell", json{{"command", "python3 -c '" + std::string(1000, 'x') + "'"}}.dump()), ctx);
  CHECK(r.is_error);
  CHECK_THAT(r.content, Catch::StartsWith("error: cannot run python3 in fake: its argument 2 is 200000 bytes"));
}

TEST_CASE("the model is told how much of a long output an environment already left out",
          "[bench][tools]") {
  // An environment kept 60 of 1,000,000 bytes: 30 of the head, 30 of the tail.
  std::string kept = std::string(30, 'a') + "\n[... 999940 bytes omitted ...]\n" + std::string(30, 'b');
  ExecResult r{.exit_code = 0, .timed_out = false, .out = kept, .err = "", .out_bytes = 1000000};
  std::string described = describe_exec_result(r, 30, std::chrono::seconds(1));
  CHECK_THAT(described, Catch::Contains("aaaaaaaaaaaaaaaaaaaa\n[... 999970 characters omitted ...]\nbbbbbbbbbb\n"));
}
