// Anthropic Messages requests as the chat completions the upstream gets, and chat replies and
// streams as the Messages replies and events an Anthropic client reads.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "autoswarm/client_api/client_api.h"

using autoswarm::client_api::estimate_prompt_tokens;
using autoswarm::client_api::messages_api;
using autoswarm::client_api::ReplyContext;
using autoswarm::llm::ChatResponse;
using autoswarm::llm::ToolCall;
using nlohmann::json;

namespace {

json translate(const json& request) {
  std::string problem;
  std::optional<json> chat = messages_api().to_chat_request(request, &problem);
  INFO(problem);
  REQUIRE(chat.has_value());
  CHECK(problem.empty());
  return *chat;
}

std::string refusal(const json& request) {
  std::string problem;
  CHECK_FALSE(messages_api().to_chat_request(request, &problem).has_value());
  return problem;
}

ReplyContext context() {
  ReplyContext c;
  c.model = "qwen3-8b";
  c.id = "abc123";
  c.created = 1700000000;
  return c;
}

struct Event {
  std::string type;
  json data;
};

// Splits SSE text into events, checking that each is whole ("event:" and "data:" lines and a
// blank line) and that the event name matches the payload's type.
std::vector<Event> events_of(const std::string& text) {
  std::vector<Event> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find("\n\n", pos);
    REQUIRE(end != std::string::npos);
    const std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    REQUIRE(block.rfind("event: ", 0) == 0);
    const size_t nl = block.find('\n');
    REQUIRE(block.compare(nl + 1, 6, "data: ") == 0);
    Event e{block.substr(7, nl - 7), json::parse(block.substr(nl + 7))};
    CHECK(e.data["type"] == e.type);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> types_of(const std::vector<Event>& events) {
  std::vector<std::string> types;
  for (const Event& e : events) types.push_back(e.type);
  return types;
}

json chunk_text(const std::string& text) {
  return {{"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}};
}

json chunk_tool(int index, const std::string& id, const std::string& name, const std::string& args) {
  json call = {{"index", index}, {"function", {{"arguments", args}}}};
  if (!id.empty()) {
    call["id"] = id;
    call["function"]["name"] = name;
  }
  return {{"choices", {{{"index", 0}, {"delta", {{"tool_calls", {call}}}}, {"finish_reason", nullptr}}}}};
}

}  // namespace

TEST_CASE("a Messages request becomes one system message and chat messages", "[client_api][messages]") {
  const json chat = translate(json::parse(R"({
    "model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": true, "temperature": 0.2,
    "stop_sequences": ["END"], "metadata": {"user_id": "u1"},
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
               {"type": "text", "text": "Use tools."}],
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                   {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}]},
      {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                        {"type": "text", "text": "Checking."},
                                        {"type": "tool_use", "id": "toolu_01", "name": "weather", "input": {"city": "Paris"}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": [{"type": "text", "text": "18C"}]},
                                   {"type": "text", "text": "And tomorrow?"}]}],
    "tools": [{"name": "weather", "description": "Weather now", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true}
  })"));
  CHECK(chat == json::parse(R"({
    "model": "claude-sonnet-4-5", "max_tokens": 1024, "temperature": 0.2, "stop": ["END"],
    "messages": [
      {"role": "system", "content": "Be brief.\n\nUse tools."},
      {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                   {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]},
      {"role": "assistant", "content": "Checking.",
       "tool_calls": [{"id": "toolu_01", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"},
      {"role": "user", "content": "And tomorrow?"}],
    "tools": [{"type": "function", "function": {"name": "weather", "description": "Weather now",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "tool_choice": "required", "parallel_tool_calls": false,
    "stream": true, "stream_options": {"include_usage": true}
  })"));
}

TEST_CASE("a string system and string contents stay strings; an error tool result says so", "[client_api][messages]") {
  const json chat = translate(json::parse(R"({"max_tokens": 5, "system": "S",
    "messages": [{"role": "user", "content": "hi"},
                 {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "boom", "is_error": true}]}]})"));
  CHECK(chat["messages"] == json::parse(R"([{"role": "system", "content": "S"}, {"role": "user", "content": "hi"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "t1", "content": "Error: boom"}])"));
  CHECK(chat["stream"] == false);
  CHECK_FALSE(chat.contains("stream_options"));
}

TEST_CASE("what the translation cannot carry is a 400 naming the field", "[client_api][messages]") {
  CHECK(refusal({{"max_tokens", 5}}) == "messages must be a list (got null)");
  CHECK(refusal({{"messages", {{{"role", "system"}, {"content", "x"}}}}}) ==
        "messages[0].role must be \"user\" or \"assistant\"");
  CHECK(refusal(json::parse(R"({"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]})")) ==
        "messages[0].content[0].type 'document' cannot be translated to chat completions in a user message: "
        "send text, image or tool_result blocks");
  CHECK(refusal(json::parse(R"({"messages": [], "tools": [{"type": "web_search_20250305", "name": "web_search"}]})")) ==
        "tools[0].type 'web_search_20250305' is a server tool, which chat completions cannot run: offer it as "
        "a client tool (name, description, input_schema)");
  CHECK(refusal(json::parse(R"({"messages": [], "mcp_servers": []})")) ==
        "'mcp_servers' cannot be translated to chat completions, which this upstream speaks: leave it out");
  CHECK(refusal(json::parse(R"({"messages": [], "max_tokens": "9"})")) ==
        "max_tokens must be a positive integer (got string)");
  CHECK(refusal(json::parse(R"({"messages": [], "system": 7})")) ==
        "system must be a string or a list of text blocks (got number)");
  CHECK(refusal(json::parse(R"({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}]})")) ==
        "messages[0].content[0].source.type 'file' cannot be translated to chat completions: send base64 or url");
}

TEST_CASE("a chat reply becomes a Messages reply with blocks, stop_reason and usage", "[client_api][messages]") {
  ChatResponse reply;
  reply.content = "Sunny.";
  ToolCall call;
  call.id = "call_9";
  call.name = "weather";
  call.arguments = R"({"city":"Oslo"})";
  autoswarm::llm::parse_tool_arguments(call);
  reply.tool_calls.push_back(call);
  reply.finish_reason = "tool_calls";
  reply.usage = autoswarm::llm::Usage::from_json(
      {{"prompt_tokens", 30}, {"completion_tokens", 7}, {"prompt_tokens_details", {{"cached_tokens", 10}}}});
  CHECK(messages_api().from_chat_reply(reply, context()) == json::parse(R"({
    "id": "msg_abc123", "type": "message", "role": "assistant", "model": "qwen3-8b",
    "content": [{"type": "text", "text": "Sunny."},
                {"type": "tool_use", "id": "call_9", "name": "weather", "input": {"city": "Oslo"}}],
    "stop_reason": "tool_use", "stop_sequence": null,
    "usage": {"input_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 10, "output_tokens": 7}})"));

  ChatResponse cut;
  cut.content = "Once upon";
  cut.finish_reason = "length";
  CHECK(messages_api().from_chat_reply(cut, context())["stop_reason"] == "max_tokens");
}

TEST_CASE("a stream of text then two tool calls becomes Anthropic's event sequence", "[client_api][messages]") {
  auto t = messages_api().stream_translator(context());
  std::string text;
  text += t->on_chunk(chunk_text("Let me "));
  text += t->on_chunk(chunk_text("check."));
  text += t->on_chunk(chunk_tool(0, "call_1", "weather", "{\"city\":"));
  text += t->on_chunk(chunk_tool(0, "", "", "\"Paris\"}"));
  text += t->on_chunk(chunk_tool(1, "call_2", "time", ""));
  text += t->on_chunk({{"choices", json::array()}, {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 5}}}});
  ChatResponse reply;
  reply.finish_reason = "tool_calls";
  reply.usage = autoswarm::llm::Usage::from_json({{"prompt_tokens", 12}, {"completion_tokens", 5}});
  text += t->on_finish(reply);

  const std::vector<Event> events = events_of(text);
  CHECK(types_of(events) == std::vector<std::string>{
      "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
      "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
      "content_block_stop", "content_block_start", "content_block_stop", "message_delta", "message_stop"});
  CHECK(events[0].data["message"]["id"] == "msg_abc123");
  CHECK(events[0].data["message"]["model"] == "qwen3-8b");
  CHECK(events[2].data == json::parse(R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"));
  CHECK(events[4].data["delta"] == json::parse(R"({"type":"text_delta","text":"check."})"));
  CHECK(events[6].data == json::parse(R"({"type":"content_block_start","index":1,
      "content_block":{"type":"tool_use","id":"call_1","name":"weather","input":{}}})"));
  CHECK(events[8].data["delta"] == json::parse(R"({"type":"input_json_delta","partial_json":"\"Paris\"}"})"));
  CHECK(events[10].data["index"] == 2);
  CHECK(events[10].data["content_block"]["name"] == "time");
  CHECK(events[12].data == json::parse(R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},
      "usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":5}})"));
}

TEST_CASE("an empty stream still starts and stops a message; a broken one ends with an error event", "[client_api][messages]") {
  auto empty = messages_api().stream_translator(context());
  ChatResponse nothing;
  nothing.finish_reason = "stop";
  CHECK(types_of(events_of(empty->on_finish(nothing))) ==
        std::vector<std::string>{"message_start", "ping", "message_delta", "message_stop"});

  auto broken = messages_api().stream_translator(context());
  std::string text = broken->on_chunk(chunk_text("Hal"));
  text += broken->on_error(502, "the upstream closed the connection", "upstream_stream_error", nothing);
  const std::vector<Event> events = events_of(text);
  REQUIRE(events.size() == 5);
  CHECK(events[4].data == json::parse(R"({"type":"error","error":{"type":"api_error","message":"the upstream closed the connection"}})"));
}

TEST_CASE("a tool call chunk without an index or with odd types is read, never asserted on", "[client_api][messages]") {
  // Found by fuzz_client_api: a tool_calls entry without "index" was read with operator[].
  auto t = messages_api().stream_translator(context());
  std::string text = t->on_chunk(json::parse(R"({"choices":[{"index":0,"delta":{"tool_calls":[
      {"id":"c1","function":{"name":"f","arguments":"{"}}, {"index":"x","function":7}, 5]}}]})"));
  ChatResponse reply;
  text += t->on_finish(reply);
  const std::vector<Event> events = events_of(text);
  CHECK(events[2].data["content_block"]["name"] == "f");
  CHECK(events.back().type == "message_stop");
}

TEST_CASE("errors are Anthropic error bodies with the type for their status", "[client_api][messages]") {
  CHECK(json::parse(messages_api().error_body(401, "no key", "authentication_error")) ==
        json::parse(R"({"type":"error","error":{"type":"authentication_error","message":"no key"}})"));
  CHECK(json::parse(messages_api().error_body(404, "no model", "not_found_error"))["error"]["type"] == "not_found_error");
  CHECK(json::parse(messages_api().error_body(413, "big", "request_too_large"))["error"]["type"] == "request_too_large");
  CHECK(json::parse(messages_api().error_body(502, "down", "upstream_error"))["error"]["type"] == "api_error");
  CHECK(json::parse(messages_api().error_body(504, "slow", "upstream_timeout"))["error"]["type"] == "timeout_error");
  CHECK_NOTHROW(json::parse(messages_api().error_body(400, "bad \xff byte", "invalid_request_error")));
}

TEST_CASE("estimate_prompt_tokens counts about four bytes a token", "[client_api][messages]") {
  const json chat = {{"messages", {{{"role", "user"}, {"content", std::string(396, 'a')}}}}};
  CHECK(estimate_prompt_tokens(chat) == 100);
  CHECK(estimate_prompt_tokens(json::object()) == 0);
}
