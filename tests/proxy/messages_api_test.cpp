// POST /v1/messages in front of an upstream that speaks only chat completions: what an
// Anthropic client (Claude Code, @anthropic-ai/sdk) gets back, what the upstream got, what was
// logged, and Anthropic error bodies for everything that goes wrong.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

json messages_body(const std::string& text, bool stream) {
  return {{"model", "fake-model"}, {"max_tokens", 256}, {"stream", stream},
          {"system", json::array({{{"type", "text"}, {"text", "You are terse."}}})},
          {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
}

using Event = SseEvent;

// {"type":"error","error":{...}} of an Anthropic error reply.
json anthropic_error(const httplib::Result& res) {
  REQUIRE(res);
  INFO(res->body);
  const json j = json::parse(res->body);
  CHECK(j["type"] == "error");
  REQUIRE(j.contains("error"));
  return j["error"];
}

}  // namespace

TEST_CASE("a Messages request is answered as a Message, with skills in the system message upstream", "[proxy][messages]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  auto res = p.client().Post("/v1/messages?beta=true", {{"anthropic-version", "2023-06-01"}},
                             messages_body("how do I list files?", false).dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const json reply = json::parse(res->body);
  CHECK(reply["type"] == "message");
  CHECK(reply["role"] == "assistant");
  CHECK(reply["content"] == json::parse(R"([{"type":"text","text":"echo: how do I list files?"}])"));
  CHECK(reply["stop_reason"] == "end_turn");
  CHECK(reply["usage"]["output_tokens"].get<int>() > 0);
  CHECK(reply["id"].get<std::string>().rfind("msg_", 0) == 0);

  const json seen = p.fake.requests().back()["body"];
  REQUIRE(seen["messages"].size() == 2);
  CHECK(seen["messages"][0]["role"] == "system");
  CHECK_THAT(seen["messages"][0]["content"].get<std::string>(),
             Catch::StartsWith("You are terse.\n\n<autoswarm-skills>") &&
                 Catch::Contains("Give shell commands in a fenced code block."));
  CHECK(seen["max_tokens"] == 256);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "messages");
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["messages"][0] == json{{"role", "system"}, {"content", "You are terse."}});
  CHECK(logs[0]["client_request"] == messages_body("how do I list files?", false));
  CHECK(logs[0]["reply"]["content"] == "echo: how do I list files?");
}

TEST_CASE("a streamed tool call reaches an Anthropic client as a tool_use block", "[proxy][messages]") {
  auto flavor = GENERATE(Flavor::kLmStudio, Flavor::kOllama);
  ProxyUnderTest p({.flavor = flavor});
  p.fake.set_script(R"(
rules:
  - reply:
      content: "Listing."
      tool_calls: [{name: run_shell, arguments: {command: "ls -la"}, id: toolu_7}]
    stream: {chunk_size: 3}
)");
  json body = messages_body("list", true);
  body["tools"] = json::parse(R"([{"name":"run_shell","description":"Run","input_schema":{"type":"object"}}])");
  auto res = p.client().Post("/v1/messages", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/event-stream");
  const std::vector<Event> events = sse_events(res->body);
  REQUIRE(events.size() >= 6);
  CHECK(events.front().type == "message_start");
  CHECK(events.back().type == "message_stop");
  std::string text, args, tool_name;
  for (const Event& e : events) {
    if (e.type == "content_block_start" && e.data["content_block"]["type"] == "tool_use") {
      tool_name = e.data["content_block"]["name"];
      CHECK(e.data["content_block"]["id"] == "toolu_7");
    }
    if (e.type != "content_block_delta") continue;
    if (e.data["delta"]["type"] == "text_delta") text += e.data["delta"]["text"].get<std::string>();
    if (e.data["delta"]["type"] == "input_json_delta") args += e.data["delta"]["partial_json"].get<std::string>();
  }
  CHECK(text == "Listing.");
  CHECK(tool_name == "run_shell");
  CHECK(json::parse(args) == json{{"command", "ls -la"}});
  CHECK(events[events.size() - 2].data["delta"]["stop_reason"] == "tool_use");
  // The upstream was asked for usage, which the final message_delta carries.
  CHECK(p.fake.requests().back()["body"]["stream_options"]["include_usage"] == true);
  CHECK(events[events.size() - 2].data["usage"]["output_tokens"].get<int>() > 0);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "messages");
  CHECK(logs[0]["stream"] == true);
  CHECK(logs[0]["reply"]["tool_calls"][0]["function"]["name"] == "run_shell");
}

TEST_CASE("a tool result goes upstream as a tool message answering its call", "[proxy][messages]") {
  ProxyUnderTest p;
  json body = messages_body("ignored", false);
  body["messages"] = json::parse(R"([
    {"role":"user","content":"list"},
    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"run_shell","input":{"command":"ls"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"a.txt"}]}])");
  auto res = p.client().Post("/v1/messages", body.dump(), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  const json seen = p.fake.requests().back()["body"]["messages"];
  REQUIRE(seen.size() == 4);
  CHECK(seen[2]["tool_calls"][0]["function"]["arguments"] == "{\"command\":\"ls\"}");
  CHECK(seen[3] == json{{"role", "tool"}, {"tool_call_id", "toolu_1"}, {"content", "a.txt"}});
}

TEST_CASE("Messages errors are Anthropic error bodies with the right status", "[proxy][messages][faults]") {
  SECTION("malformed JSON") {
    ProxyUnderTest p;
    auto res = p.client().Post("/v1/messages", "{\"messages\": [", "application/json");
    CHECK(res->status == 400);
    CHECK(anthropic_error(res)["type"] == "invalid_request_error");
  }
  SECTION("a field of the wrong type, named") {
    ProxyUnderTest p;
    json body = messages_body("x", false);
    body["messages"][0]["content"] = 5;
    auto res = p.client().Post("/v1/messages", body.dump(), "application/json");
    CHECK(res->status == 400);
    CHECK(anthropic_error(res)["message"] == "messages[0].content must be a string or a list of blocks (got number)");
  }
  SECTION("an unknown model") {
    ProxyUnderTest p({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
    json body = messages_body("x", false);
    body["model"] = "llama3.2";
    auto res = p.client().Post("/v1/messages", body.dump(), "application/json");
    CHECK(res->status == 404);
    CHECK(anthropic_error(res)["type"] == "not_found_error");
  }
  SECTION("the upstream down, streamed or not") {
    ProxyUnderTest p;
    p.fake.stop();
    for (bool stream : {false, true}) {
      auto res = p.client().Post("/v1/messages", messages_body("x", stream).dump(), "application/json");
      CHECK(res->status == 502);
      CHECK_THAT(anthropic_error(res)["message"].get<std::string>(), Catch::Contains("autoswarm doctor"));
    }
  }
  SECTION("a stream cut by the upstream ends with an error event") {
    ProxyUnderTest p;
    p.fake.set_script("rules:\n  - reply: {content: \"a long answer here\"}\n    stream: {chunk_size: 2}\n"
                      "    fault: {cut_after_events: 3}\n");
    auto res = p.client().Post("/v1/messages", messages_body("x", true).dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    const std::vector<Event> events = sse_events(res->body);
    REQUIRE_FALSE(events.empty());
    CHECK(events.front().type == "message_start");
    CHECK(events.back().type == "error");
    CHECK(events.back().data["error"]["type"] == "api_error");
  }
  SECTION("a wrong key, an unknown endpoint") {
    ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.proxy_key = "sekrit"; });
    auto wrong = p.client().Post("/v1/messages", {{"x-api-key", "nope"}}, messages_body("x", false).dump(),
                                 "application/json");
    CHECK(wrong->status == 401);
    CHECK(anthropic_error(wrong)["type"] == "authentication_error");
    auto right = p.client().Post("/v1/messages", {{"x-api-key", "sekrit"}}, messages_body("x", false).dump(),
                                 "application/json");
    CHECK(right->status == 200);
    auto unknown = p.client().Post("/v1/messages/batches", {{"x-api-key", "sekrit"}}, "{}", "application/json");
    CHECK(unknown->status == 404);
    CHECK(anthropic_error(unknown)["type"] == "not_found_error");
  }
}

TEST_CASE("count_tokens answers an estimate for the request as it would be translated", "[proxy][messages]") {
  ProxyUnderTest p;
  json body = messages_body(std::string(400, 'a'), false);
  body.erase("max_tokens");
  auto res = p.client().Post("/v1/messages/count_tokens?beta=true", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const int64_t tokens = json::parse(res->body)["input_tokens"];
  CHECK(tokens > 100);
  CHECK(tokens < 110);
  body["messages"][0]["role"] = "system";
  auto bad = p.client().Post("/v1/messages/count_tokens", body.dump(), "application/json");
  CHECK(bad->status == 400);
  CHECK(anthropic_error(bad)["message"] == "messages[0].role must be \"user\" or \"assistant\"");
  for (const json& r : p.fake.requests()) CHECK(r["path"] != "/v1/chat/completions");  // counted here
}
