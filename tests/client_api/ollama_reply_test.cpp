// Chat replies as an Ollama client sees them: /api/chat and /api/generate bodies, the NDJSON
// stream lines in order, and the error bodies.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/util/json.h"

using autoswarm::client_api::ollama_chat_api;
using autoswarm::client_api::ollama_generate_api;
using autoswarm::client_api::ReplyContext;
using autoswarm::client_api::StreamTranslator;
using autoswarm::llm::ChatResponse;
using autoswarm::llm::ToolCall;
using nlohmann::json;

namespace ollama_reply_test {

// 2025-07-07T20:22:19Z
constexpr int64_t kCreated = 1751919739;
ReplyContext context() {
  ReplyContext c;
  c.model = "qwen3";
  c.id = "conv_1";
  c.created = kCreated;
  return c;
}

// Each NDJSON line parsed, after checking that every line is complete.
std::vector<json> lines_of(const std::string& ndjson) {
  std::vector<json> out;
  size_t start = 0;
  while (start < ndjson.size()) {
    size_t end = ndjson.find('\n', start);
    REQUIRE(end != std::string::npos);
    out.push_back(autoswarm::util::parse_json(ndjson.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

json chunk(const json& delta, const json& finish_reason = nullptr) {
  return {{"id", "chatcmpl-1"},
          {"model", "upstream-name"},
          {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}})}};
}

ToolCall tool_call(const std::string& id, const std::string& name, const std::string& arguments) {
  ToolCall c;
  c.id = id;
  c.name = name;
  c.arguments = arguments;
  return c;
}

ChatResponse reply_with(const std::string& content, const std::string& finish_reason) {
  ChatResponse r;
  r.model = "upstream-name";
  r.content = content;
  r.finish_reason = finish_reason;
  r.usage.prompt_tokens = 169;
  r.usage.completion_tokens = 15;
  r.usage.total_tokens = 184;
  r.usage.reported = true;
  return r;
}

json done_fields(const std::string& reason) {
  return {{"done", true},           {"done_reason", reason},    {"total_duration", 0}, {"load_duration", 0},
          {"prompt_eval_count", 169}, {"prompt_eval_duration", 0}, {"eval_count", 15},    {"eval_duration", 0}};
}

TEST_CASE("a whole chat reply becomes Ollama's /api/chat reply", "[ollama]") {
  json out = ollama_chat_api().from_chat_reply(reply_with("Hello", "stop"), context());
  json expected = {{"model", "qwen3"}, {"created_at", "2025-07-07T20:22:19Z"},
                   {"message", {{"role", "assistant"}, {"content", "Hello"}}}};
  expected.update(done_fields("stop"));
  CHECK(out == expected);

  SECTION("reasoning becomes thinking; the token limit becomes done_reason length") {
    ChatResponse r = reply_with("Hel", "length");
    r.reasoning_content = "hmm";
    json o = ollama_chat_api().from_chat_reply(r, context());
    CHECK(o["message"] == json{{"role", "assistant"}, {"content", "Hel"}, {"thinking", "hmm"}});
    CHECK(o["done_reason"] == "length");
  }
  SECTION("tool calls carry object arguments ({} for invalid JSON) and done_reason stays stop") {
    ChatResponse r = reply_with("", "tool_calls");
    r.tool_calls = {tool_call("call_a", "weather", "{\"city\":\"Tokyo\"}"), tool_call("", "broken", "{\"city\":")};
    json o = ollama_chat_api().from_chat_reply(r, context());
    CHECK(o["message"] == json{{"role", "assistant"},
                               {"content", ""},
                               {"tool_calls",
                                {{{"id", "call_a"}, {"function", {{"index", 0}, {"name", "weather"}, {"arguments", {{"city", "Tokyo"}}}}}},
                                 {{"id", "call_1"}, {"function", {{"index", 1}, {"name", "broken"}, {"arguments", json::object()}}}}}}});
    CHECK(o["done_reason"] == "stop");
  }
}

TEST_CASE("a whole chat reply becomes Ollama's /api/generate reply, without a context", "[ollama]") {
  ChatResponse r = reply_with("Hello", "stop");
  r.reasoning_content = "hmm";
  json out = ollama_generate_api().from_chat_reply(r, context());
  json expected = {{"model", "qwen3"}, {"created_at", "2025-07-07T20:22:19Z"}, {"response", "Hello"}, {"thinking", "hmm"}};
  expected.update(done_fields("stop"));
  CHECK(out == expected);
}

TEST_CASE("an /api/chat stream writes text as it comes and each tool call whole before the last line", "[ollama]") {
  std::unique_ptr<StreamTranslator> t = ollama_chat_api().stream_translator(context());
  std::string out;
  out += t->on_chunk(chunk({{"role", "assistant"}, {"content", ""}}));
  out += t->on_chunk(chunk({{"reasoning_content", "let me see"}}));
  out += t->on_chunk(chunk({{"content", "Checking"}}));
  out += t->on_chunk(chunk({{"tool_calls", {{{"index", 0}, {"id", "call_a"}, {"function", {{"name", "weather"}, {"arguments", "{\"ci"}}}}}}}));
  CHECK(out.find("call_a") == std::string::npos);  // held until the call is whole
  out += t->on_chunk(chunk({{"tool_calls", {{{"index", 0}, {"function", {{"arguments", "ty\":\"Tokyo\"}"}}}}}}}));
  out += t->on_chunk(chunk({{"tool_calls", {{{"index", 1}, {"id", "call_b"}, {"function", {{"name", "clock"}, {"arguments", ""}}}}}}}));
  out += t->on_chunk(chunk(json::object(), "tool_calls"));
  out += t->on_chunk({{"id", "chatcmpl-1"}, {"choices", json::array()}, {"usage", {{"prompt_tokens", 169}, {"completion_tokens", 15}}}});
  ChatResponse reply = reply_with("Checking", "tool_calls");
  out += t->on_finish(reply);

  std::vector<json> lines = lines_of(out);
  REQUIRE(lines.size() == 4);
  const json head = {{"model", "qwen3"}, {"created_at", "2025-07-07T20:22:19Z"}};
  json thinking = head, text = head, calls = head, last = head;
  thinking.update({{"message", {{"role", "assistant"}, {"content", ""}, {"thinking", "let me see"}}}, {"done", false}});
  text.update({{"message", {{"role", "assistant"}, {"content", "Checking"}}}, {"done", false}});
  calls.update({{"message",
                 {{"role", "assistant"},
                  {"content", ""},
                  {"tool_calls",
                   {{{"id", "call_a"}, {"function", {{"index", 0}, {"name", "weather"}, {"arguments", {{"city", "Tokyo"}}}}}},
                    {{"id", "call_b"}, {"function", {{"index", 1}, {"name", "clock"}, {"arguments", json::object()}}}}}}}},
                {"done", false}});
  last.update({{"message", {{"role", "assistant"}, {"content", ""}}}});
  last.update(done_fields("stop"));
  CHECK(lines[0] == thinking);
  CHECK(lines[1] == text);
  CHECK(lines[2] == calls);
  CHECK(lines[3] == last);
  CHECK(t->on_chunk(chunk({{"content", "late"}})).empty());
  CHECK(t->on_finish(reply).empty());
}

TEST_CASE("an /api/chat stream cut by the token limit ends with done_reason length", "[ollama]") {
  std::unique_ptr<StreamTranslator> t = ollama_chat_api().stream_translator(context());
  std::string out = t->on_chunk(chunk({{"content", "Hel"}}, "length"));
  out += t->on_finish(reply_with("Hel", "length"));
  std::vector<json> lines = lines_of(out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["message"]["content"] == "Hel");
  CHECK(lines[1]["done"] == true);
  CHECK(lines[1]["done_reason"] == "length");
  CHECK(lines[1]["eval_count"] == 15);
}

TEST_CASE("an /api/generate stream writes response lines and a last line without tool calls", "[ollama]") {
  std::unique_ptr<StreamTranslator> t = ollama_generate_api().stream_translator(context());
  std::string out = t->on_chunk(chunk({{"reasoning", "hm"}}));
  out += t->on_chunk(chunk({{"content", "Hi"}}));
  out += t->on_chunk(chunk({{"tool_calls", {{{"index", 0}, {"function", {{"name", "f"}}}}}}}));
  out += t->on_finish(reply_with("Hi", "stop"));
  std::vector<json> lines = lines_of(out);
  REQUIRE(lines.size() == 3);
  const json head = {{"model", "qwen3"}, {"created_at", "2025-07-07T20:22:19Z"}};
  json thinking = head, text = head, last = head;
  thinking.update({{"response", ""}, {"thinking", "hm"}, {"done", false}});
  text.update({{"response", "Hi"}, {"done", false}});
  last.update({{"response", ""}});
  last.update(done_fields("stop"));
  CHECK(lines[0] == thinking);
  CHECK(lines[1] == text);
  CHECK(lines[2] == last);
}

TEST_CASE("a stream that breaks ends with one error line and nothing after it", "[ollama]") {
  std::unique_ptr<StreamTranslator> t = ollama_chat_api().stream_translator(context());
  std::string out = t->on_chunk(chunk({{"content", "Hi"}}));
  out += t->on_chunk(chunk({{"tool_calls", {{{"index", 0}, {"id", "c"}, {"function", {{"name", "f"}}}}}}}));
  out += t->on_error(502, "upstream closed the stream", "upstream_stream_error", reply_with("Hi", ""));
  std::vector<json> lines = lines_of(out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == json{{"error", "upstream closed the stream"}});
  CHECK(t->on_finish(reply_with("Hi", "stop")).empty());
  CHECK(t->on_error(502, "again", "x", reply_with("", "")).empty());
}

TEST_CASE("Ollama error bodies are {\"error\"} for every status", "[ollama]") {
  CHECK(json::parse(ollama_chat_api().error_body(404, "model 'x' not found", "not_found_error")) ==
        json{{"error", "model 'x' not found"}});
  CHECK(json::parse(ollama_generate_api().error_body(500, "boom", "server_error")) == json{{"error", "boom"}});
}
TEST_CASE("invalid UTF-8 in Ollama replies, streams and errors is replaced, never thrown on", "[ollama]") {
  const std::string bad = "caf\xC3";
  CHECK_NOTHROW(ollama_chat_api().error_body(400, bad, "invalid_request_error"));
  CHECK(json::parse(ollama_chat_api().error_body(400, bad, "x"))["error"] == "caf\xEF\xBF\xBD");
  json body = ollama_chat_api().from_chat_reply(reply_with(bad, "stop"), context());
  CHECK_NOTHROW(body.dump(-1, ' ', false, json::error_handler_t::replace));
  std::unique_ptr<StreamTranslator> t = ollama_chat_api().stream_translator(context());
  std::vector<json> lines = lines_of(t->on_chunk(chunk({{"content", bad}})));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["message"]["content"] == "caf\xEF\xBF\xBD");
  CHECK_NOTHROW(t->on_error(502, bad, "x", reply_with("", "")));
}

}  // namespace ollama_reply_test
