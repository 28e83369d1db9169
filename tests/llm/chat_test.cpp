// Request bodies sent upstream and non-streaming replies read back, with vendor extras intact.
#include "autoswarm/llm/chat.h"

#include <catch2/catch.hpp>

#include "autoswarm/llm/errors.h"

using autoswarm::llm::ChatRequest;
using autoswarm::llm::ChatResponse;
using autoswarm::llm::ProtocolError;
using autoswarm::llm::ToolCall;
using nlohmann::json;

namespace {

ChatRequest sample_request() {
  ChatRequest r;
  r.model = "qwen3-8b";
  r.messages = json::array({{{"role", "user"}, {"content", "hi"}}});
  r.temperature = 0.25;
  r.max_tokens = 64;
  return r;
}

}  // namespace

TEST_CASE("ChatRequest::to_json without streaming", "[chat]") {
  ChatRequest r = sample_request();
  CHECK(r.to_json(false) == json{{"model", "qwen3-8b"},
                                 {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
                                 {"temperature", 0.25},
                                 {"max_tokens", 64}});

  SECTION("unset optional fields are not sent") {
    ChatRequest bare;
    bare.messages = json::array({{{"role", "user"}, {"content", "x"}}});
    json body = bare.to_json(false);
    CHECK(body == json{{"messages", bare.messages}});
  }
  SECTION("stream fields in extra are removed") {
    r.extra["stream"] = true;
    r.extra["stream_options"] = {{"include_usage", true}};
    json body = r.to_json(false);
    CHECK_FALSE(body.contains("stream"));
    CHECK_FALSE(body.contains("stream_options"));
  }
  SECTION("tools and tool_choice are sent when set") {
    r.tools = json::array({{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", json::object()}}}}});
    r.tool_choice = "auto";
    json body = r.to_json(false);
    CHECK(body["tools"] == r.tools);
    CHECK(body["tool_choice"] == "auto");
  }
}

TEST_CASE("ChatRequest::to_json with streaming asks for usage", "[chat]") {
  ChatRequest r = sample_request();
  json body = r.to_json(true);
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"] == json{{"include_usage", true}});
  CHECK(body["model"] == "qwen3-8b");
  CHECK(body["temperature"] == 0.25);

  SECTION("other stream_options keys are kept; include_usage is forced on") {
    r.extra["stream_options"] = {{"continuous_usage_stats", true}, {"include_usage", false}};
    json s = r.to_json(true);
    CHECK(s["stream_options"] == json{{"continuous_usage_stats", true}, {"include_usage", true}});
  }
  SECTION("a stream_options that is not an object is replaced") {
    r.extra["stream_options"] = nullptr;
    CHECK(r.to_json(true)["stream_options"] == json{{"include_usage", true}});
  }
}

TEST_CASE("extra request fields pass through untouched", "[chat]") {
  ChatRequest r = sample_request();
  r.extra = {{"top_k", 20},
             {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", {{"type", "object"}}}}}}},
             {"chat_template_kwargs", {{"enable_thinking", false}}}};
  for (bool stream : {false, true}) {
    INFO("stream " << stream);
    json body = r.to_json(stream);
    CHECK(body["top_k"] == 20);
    CHECK(body["response_format"] == r.extra["response_format"]);
    CHECK(body["chat_template_kwargs"] == json{{"enable_thinking", false}});
  }
  // Known fields win over the same key in extra.
  r.extra["model"] = "other";
  CHECK(r.to_json(false)["model"] == "qwen3-8b");
}

TEST_CASE("ChatRequest::from_json splits known fields from extras", "[chat]") {
  json body = {{"model", "llama3.1:8b"},
               {"messages", json::array({{{"role", "system"}, {"content", "be brief"}},
                                         {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "hi"}}})}}})},
               {"tools", json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}})},
               {"tool_choice", "required"},
               {"temperature", 0.7},
               {"max_tokens", 256},
               {"top_k", 40},
               {"response_format", {{"type", "json_object"}}},
               {"seed", 1}};
  ChatRequest r = ChatRequest::from_json(body);
  CHECK(r.model == "llama3.1:8b");
  CHECK(r.messages == body["messages"]);
  CHECK(r.tools == body["tools"]);
  CHECK(r.tool_choice == "required");
  REQUIRE(r.temperature.has_value());
  CHECK(*r.temperature == Approx(0.7));
  REQUIRE(r.max_tokens.has_value());
  CHECK(*r.max_tokens == 256);
  CHECK(r.extra == json{{"top_k", 40}, {"response_format", {{"type", "json_object"}}}, {"seed", 1}});

  SECTION("the round trip gives back the same body") {
    CHECK(r.to_json(false) == body);
    json streamed = body;
    streamed["stream"] = true;
    streamed["stream_options"] = {{"include_usage", true}};
    CHECK(ChatRequest::from_json(streamed).to_json(true) == streamed);
    CHECK(ChatRequest::from_json(streamed).to_json(false) == body);
    streamed["stream_options"] = {{"continuous_usage_stats", true}};  // a vLLM extension
    CHECK(ChatRequest::from_json(streamed).to_json(true)["stream_options"] ==
          json{{"continuous_usage_stats", true}, {"include_usage", true}});
  }
  SECTION("fields of the wrong type stay in extra, untouched") {
    json odd = {{"messages", json::array()}, {"temperature", "hot"}, {"max_tokens", 1.5}};
    ChatRequest o = ChatRequest::from_json(odd);
    CHECK_FALSE(o.temperature.has_value());
    CHECK_FALSE(o.max_tokens.has_value());
    CHECK(o.to_json(false) == odd);
  }
  SECTION("a body that is not an object gives an empty request") {
    ChatRequest e = ChatRequest::from_json(json::array());
    CHECK(e.model.empty());
    CHECK(e.messages == json::array());
    CHECK(e.extra == json::object());
  }
}

TEST_CASE("ChatResponse::from_json reads text, finish reason and usage", "[chat]") {
  json body = json::parse(R"({
    "id": "chatcmpl-9", "object": "chat.completion", "model": "qwen3-8b",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Paris.",
                             "reasoning_content": "The capital of France..."}}],
    "usage": {"prompt_tokens": 30, "completion_tokens": 4, "total_tokens": 34,
              "prompt_tokens_details": {"cached_tokens": 16}}
  })");
  ChatResponse r = ChatResponse::from_json(body);
  CHECK(r.id == "chatcmpl-9");
  CHECK(r.model == "qwen3-8b");
  CHECK(r.content == "Paris.");
  CHECK(r.reasoning_content == "The capital of France...");
  CHECK(r.finish_reason == "stop");
  CHECK(r.tool_calls.empty());
  CHECK(r.usage.reported);
  CHECK(r.usage.prompt_tokens == 30);
  CHECK(r.usage.completion_tokens == 4);
  CHECK(r.usage.total_tokens == 34);
  REQUIRE(r.usage.cached_tokens.has_value());
  CHECK(*r.usage.cached_tokens == 16);
  CHECK(r.usage.to_json() == body["usage"]);
  CHECK(r.message() == json{{"role", "assistant"}, {"content", "Paris."}});

  SECTION("the \"reasoning\" spelling") {
    json o = body;
    o["choices"][0]["message"].erase("reasoning_content");
    o["choices"][0]["message"]["reasoning"] = "hmm";
    CHECK(ChatResponse::from_json(o).reasoning_content == "hmm");
  }
  SECTION("no usage at all") {
    json o = body;
    o.erase("usage");
    ChatResponse n = ChatResponse::from_json(o);
    CHECK_FALSE(n.usage.reported);
    CHECK(n.usage.total_tokens == 0);
    CHECK_FALSE(n.usage.cached_tokens.has_value());
  }
}

TEST_CASE("ChatResponse::from_json reads tool calls, string and object arguments", "[chat][tools]") {
  json body = json::parse(R"({
    "id": "x", "model": "m",
    "choices": [{"index": 0, "finish_reason": "tool_calls",
                 "message": {"role": "assistant", "content": null, "tool_calls": [
                   {"id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\": \"Lima\"}"}},
                   {"id": "call_2", "type": "function",
                    "function": {"name": "get_time", "arguments": {"tz": "UTC", "fmt": 24}}},
                   {"id": "call_3", "type": "function",
                    "function": {"name": "ping", "arguments": ""}},
                   {"id": "call_4", "type": "function",
                    "function": {"name": "broken", "arguments": "{\"a\": "}}
                 ]}}]
  })");
  ChatResponse r = ChatResponse::from_json(body);
  CHECK(r.finish_reason == "tool_calls");
  CHECK(r.content.empty());
  REQUIRE(r.tool_calls.size() == 4);

  CHECK(r.tool_calls[0].id == "call_1");
  CHECK(r.tool_calls[0].name == "get_weather");
  CHECK(r.tool_calls[0].arguments == "{\"city\": \"Lima\"}");
  CHECK(r.tool_calls[0].parsed_arguments == json{{"city", "Lima"}});
  CHECK(r.tool_calls[0].arguments_ok());

  // Ollama's native shape: arguments as an object, turned into JSON text.
  CHECK(r.tool_calls[1].name == "get_time");
  CHECK(json::parse(r.tool_calls[1].arguments) == json{{"tz", "UTC"}, {"fmt", 24}});
  CHECK(r.tool_calls[1].parsed_arguments == json{{"tz", "UTC"}, {"fmt", 24}});

  CHECK(r.tool_calls[2].parsed_arguments == json::object());
  CHECK(r.tool_calls[2].arguments_ok());

  CHECK_FALSE(r.tool_calls[3].arguments_ok());
  CHECK_THAT(r.tool_calls[3].arguments_error, Catch::Contains("broken"));

  SECTION("message() gives content null and the calls as sent") {
    json m = r.message();
    CHECK(m["role"] == "assistant");
    CHECK(m["content"].is_null());
    REQUIRE(m["tool_calls"].size() == 4);
    CHECK(m["tool_calls"][0] ==
          json{{"id", "call_1"},
               {"type", "function"},
               {"function", {{"name", "get_weather"}, {"arguments", "{\"city\": \"Lima\"}"}}}});
    CHECK(m["tool_calls"][1]["function"]["arguments"].is_string());
  }
}

TEST_CASE("ChatResponse::from_json skips tool-call entries that are not objects", "[chat][tools]") {
  json body = json::parse(R"({"choices":[{"message":{"content":"hi","tool_calls":[
      "garbage", null, {"id":"c1","function":{"name":"f","arguments":"{}"}}]}}]})");
  ChatResponse r;
  REQUIRE_NOTHROW(r = ChatResponse::from_json(body));
  CHECK(r.content == "hi");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "c1");
  CHECK(r.tool_calls[0].name == "f");
}

TEST_CASE("ChatResponse::message keeps text that came with tool calls", "[chat][tools]") {
  ChatResponse r;
  r.content = "Let me check.";
  ToolCall c;
  c.id = "c1";
  c.name = "f";
  c.arguments = "{}";
  r.tool_calls.push_back(c);
  json m = r.message();
  CHECK(m["content"] == "Let me check.");
  CHECK(m["tool_calls"].size() == 1);
}

TEST_CASE("ChatResponse::from_json refuses a body without choices", "[chat]") {
  const char* bodies[] = {
      R"({"id":"x","choices":[]})",
      R"({"id":"x"})",
      R"({"choices":"nope"})",
      R"({"choices":[null]})",
      R"({"error":{"message":"model crashed"}})",
      R"([1,2,3])",
  };
  for (const char* text : bodies) {
    INFO(text);
    CHECK_THROWS_AS(ChatResponse::from_json(json::parse(text)), ProtocolError);
  }
  CHECK_THROWS_WITH(ChatResponse::from_json(json::parse(R"({"error":{"message":"model crashed"}})")),
                    Catch::Contains("no choices") && Catch::Contains("model crashed"));
}
