// Ollama's /api/chat and /api/generate as a client sees them through the proxy: the chat
// completions request each becomes, the reply bodies, the NDJSON stream lines and the errors.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/util/json.h"

using autoswarm::client_api::ClientApi;
using autoswarm::client_api::ollama_chat_api;
using autoswarm::client_api::ollama_generate_api;
using autoswarm::client_api::Protocol;
using autoswarm::client_api::ReplyContext;
using autoswarm::client_api::StreamTranslator;
using autoswarm::llm::ChatResponse;
using autoswarm::llm::ToolCall;
using nlohmann::json;

namespace ollama_test {

// 2025-07-07T20:22:19Z
constexpr int64_t kCreated = 1751919739;
// A 1x1 PNG's first bytes, a JPEG's, a GIF's and a WebP's, in base64.
const char* const kPng = "iVBORw0KGgoAAAANSUhEUg==";
const char* const kJpeg = "/9j/4AAQSkZJRg==";
const char* const kGif = "R0lGODlhAQABAA==";
const char* const kWebp = "UklGRiQAAABXRUJQVlA4IA==";

ReplyContext context() {
  ReplyContext c;
  c.model = "qwen3";
  c.id = "conv_1";
  c.created = kCreated;
  return c;
}

std::optional<json> translate(const ClientApi& api, const json& request, std::string* problem) {
  problem->clear();
  std::optional<json> out = api.to_chat_request(request, problem);
  if (out) CHECK(problem->empty());
  else CHECK_FALSE(problem->empty());
  return out;
}

// The problem a request is refused with ("" when it is translated).
std::string refusal(const ClientApi& api, const json& request) {
  std::string problem;
  std::optional<json> out = translate(api, request, &problem);
  return out ? "" : problem;
}

json chat_request(const json& request) {
  std::string problem;
  std::optional<json> out = translate(ollama_chat_api(), request, &problem);
  INFO(problem);
  REQUIRE(out);
  return *out;
}

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

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

}  // namespace ollama_test

using namespace ollama_test;

TEST_CASE("an /api/chat request becomes a streaming chat request with usage, as Ollama streams by default", "[ollama]") {
  json out = chat_request({{"model", "qwen3"},
                           {"messages", {{{"role", "system"}, {"content", "be brief"}}, user("hi")}},
                           {"keep_alive", "5m"},
                           {"think", true}});
  CHECK(out == json{{"model", "qwen3"},
                    {"messages", {{{"role", "system"}, {"content", "be brief"}}, user("hi")}},
                    {"stream", true},
                    {"stream_options", {{"include_usage", true}}}});
  CHECK(ollama_chat_api().protocol() == Protocol::kOllamaChat);
  CHECK(ollama_generate_api().protocol() == Protocol::kOllamaGenerate);
  CHECK(ollama_chat_api().stream_content_type() == "application/x-ndjson");
}

TEST_CASE("an /api/chat request with stream false and no model asks for a whole reply", "[ollama]") {
  json out = chat_request({{"messages", {user("hi")}}, {"stream", false}});
  CHECK(out == json{{"messages", {user("hi")}}, {"stream", false}});
}

TEST_CASE("Ollama options become chat sampling fields and server settings are dropped", "[ollama]") {
  json out = chat_request({{"messages", {user("hi")}},
                           {"stream", false},
                           {"options",
                            {{"num_predict", 128}, {"temperature", 0.2}, {"top_p", 0.9}, {"top_k", 40}, {"seed", 7},
                             {"stop", "END"}, {"presence_penalty", 0.5}, {"frequency_penalty", 0.25},
                             {"num_ctx", 8192}, {"num_gpu", 99}, {"repeat_penalty", 1.1}}}});
  CHECK(out == json{{"messages", {user("hi")}}, {"stream", false},
                    {"max_tokens", 128}, {"temperature", 0.2}, {"top_p", 0.9}, {"top_k", 40}, {"seed", 7},
                    {"stop", {"END"}}, {"presence_penalty", 0.5}, {"frequency_penalty", 0.25}});

  SECTION("stop as a list stays a list; num_predict -1 (no limit) sends no max_tokens") {
    json o = chat_request({{"messages", {user("hi")}}, {"options", {{"stop", {"a", "b"}}, {"num_predict", -1}}}});
    CHECK(o["stop"] == json{"a", "b"});
    CHECK_FALSE(o.contains("max_tokens"));
  }
  SECTION("options of the wrong type are refused, naming the option") {
    json base = {{"messages", {user("hi")}}};
    auto with = [&](const json& options) { json r = base; r["options"] = options; return refusal(ollama_chat_api(), r); };
    CHECK(with("fast") == "'options' must be an object (got string)");
    CHECK(with({{"temperature", "hot"}}) == "options.temperature must be a number (got string)");
    CHECK(with({{"num_predict", 1.5}}) == "options.num_predict must be an integer (got number)");
    CHECK(with({{"top_k", "40"}}) == "options.top_k must be an integer (got string)");
    CHECK(with({{"stop", {"a", 1}}}) == "options.stop must be a string or a list of strings (got list)");
  }
}

TEST_CASE("format json asks for a JSON object and a schema for that schema, strictly", "[ollama]") {
  json schema = {{"type", "object"}, {"properties", {{"age", {{"type", "integer"}}}}}};
  CHECK(chat_request({{"messages", {user("hi")}}, {"format", "json"}})["response_format"] ==
        json{{"type", "json_object"}});
  CHECK(chat_request({{"messages", {user("hi")}}, {"format", schema}})["response_format"] ==
        json{{"type", "json_schema"}, {"json_schema", {{"name", "response"}, {"schema", schema}, {"strict", true}}}});
  CHECK_FALSE(chat_request({{"messages", {user("hi")}}, {"format", ""}}).contains("response_format"));
  CHECK(refusal(ollama_chat_api(), {{"messages", {user("hi")}}, {"format", "yaml"}}) ==
        "'format' must be \"json\" or a JSON schema object (got 'yaml')");
  CHECK(refusal(ollama_chat_api(), {{"messages", {user("hi")}}, {"format", 3}}) ==
        "'format' must be \"json\" or a JSON schema object (got number)");
}

TEST_CASE("images become data: URLs typed by their magic bytes, after the text", "[ollama]") {
  json out = chat_request({{"messages", {{{"role", "user"}, {"content", "what is this?"}, {"images", {kPng, kJpeg}}}}}});
  CHECK(out["messages"][0] ==
        json{{"role", "user"},
             {"content",
              {{{"type", "text"}, {"text", "what is this?"}},
               {{"type", "image_url"}, {"image_url", {{"url", std::string("data:image/png;base64,") + kPng}}}},
               {{"type", "image_url"}, {"image_url", {{"url", std::string("data:image/jpeg;base64,") + kJpeg}}}}}}});

  SECTION("gif, webp, and anything else as png") {
    json o = chat_request({{"messages", {{{"role", "user"}, {"images", {kGif, kWebp, "AAECAw=="}}}}}});
    const json& parts = o["messages"][0]["content"];
    REQUIRE(parts.size() == 3);  // no text part for empty content
    CHECK(parts[0]["image_url"]["url"] == std::string("data:image/gif;base64,") + kGif);
    CHECK(parts[1]["image_url"]["url"] == std::string("data:image/webp;base64,") + kWebp);
    CHECK(parts[2]["image_url"]["url"] == "data:image/png;base64,AAECAw==");
  }
  SECTION("unpadded, wrapped or URL-safe base64 is re-encoded in the standard alphabet") {
    json o = chat_request({{"messages", {{{"role", "user"}, {"content", "x"}, {"images", {"/9j/4AAQ\nSkZJRg", "-_8A"}}}}}});
    CHECK(o["messages"][0]["content"][1]["image_url"]["url"] == std::string("data:image/jpeg;base64,") + kJpeg);
    CHECK(o["messages"][0]["content"][2]["image_url"]["url"] == "data:image/png;base64,+/8A");
  }
  SECTION("an empty images list leaves the content a string") {
    CHECK(chat_request({{"messages", {{{"role", "user"}, {"content", "x"}, {"images", json::array()}}}}})["messages"][0] ==
          user("x"));
  }
  SECTION("images that are not base64 strings are refused, naming the image") {
    auto with = [](const json& images) {
      return refusal(ollama_chat_api(), {{"messages", {{{"role", "user"}, {"content", "x"}, {"images", images}}}}});
    };
    CHECK(with("iVBOR") == "messages[0].images must be a list of base64 strings (got string)");
    CHECK(with({kPng, 5}) == "messages[0].images[1] must be a base64 string (got number)");
    CHECK(with({"not base64!"}) ==
          "messages[0].images[0] is not base64 image data; send the image file's bytes in base64 (no data: prefix)");
    CHECK(with({"data:image/png;base64,iVBOR"}).rfind("messages[0].images[0] is not base64", 0) == 0);
    CHECK(with({"A"}).rfind("messages[0].images[0] is not base64", 0) == 0);
    CHECK(with({"AA=A"}).rfind("messages[0].images[0] is not base64", 0) == 0);
    CHECK(with({""}).rfind("messages[0].images[0] is not base64", 0) == 0);
  }
  SECTION("images on a message other than the user's are refused") {
    CHECK(refusal(ollama_chat_api(), {{"messages", {user("hi"), {{"role", "assistant"}, {"content", "x"}, {"images", {kPng}}}}}}) ==
          "messages[1].images: only user messages can carry images in chat completions");
  }
}

TEST_CASE("assistant tool calls get string arguments and tool results the id of the call they answer", "[ollama]") {
  json out = chat_request(
      {{"messages",
        {user("weather in Paris and Tokyo, and the time?"),
         {{"role", "assistant"},
          {"content", ""},
          {"tool_calls",
           {{{"function", {{"index", 0}, {"name", "weather"}, {"arguments", {{"city", "Paris"}}}}}},
            {{"id", "call_x"}, {"function", {{"index", 1}, {"name", "weather"}, {"arguments", {{"city", "Tokyo"}}}}}},
            {{"function", {{"name", "clock"}}}}}}},
         {{"role", "tool"}, {"content", "12:00"}, {"tool_name", "clock"}},
         {{"role", "tool"}, {"content", "18C"}, {"tool_name", "weather"}},
         {{"role", "tool"}, {"content", "25C"}, {"tool_name", "weather"}}}},
       {"tools", {{{"type", "function"}, {"function", {{"name", "weather"}, {"parameters", {{"type", "object"}}}}}}}}});
  CHECK(out["messages"][1] ==
        json{{"role", "assistant"},
             {"content", nullptr},
             {"tool_calls",
              {{{"id", "call_0"}, {"type", "function"}, {"function", {{"name", "weather"}, {"arguments", "{\"city\":\"Paris\"}"}}}},
               {{"id", "call_x"}, {"type", "function"}, {"function", {{"name", "weather"}, {"arguments", "{\"city\":\"Tokyo\"}"}}}},
               {{"id", "call_2"}, {"type", "function"}, {"function", {{"name", "clock"}, {"arguments", "{}"}}}}}}});
  CHECK(out["messages"][2] == json{{"role", "tool"}, {"content", "12:00"}, {"tool_call_id", "call_2"}});
  // Two calls of one tool: the results answer them in the order they were made.
  CHECK(out["messages"][3] == json{{"role", "tool"}, {"content", "18C"}, {"tool_call_id", "call_0"}});
  CHECK(out["messages"][4] == json{{"role", "tool"}, {"content", "25C"}, {"tool_call_id", "call_x"}});
  CHECK(out["tools"] == json{{{"type", "function"}, {"function", {{"name", "weather"}, {"parameters", {{"type", "object"}}}}}}});

  SECTION("a result answers the newest assistant message's call, and tool_call_id wins when given") {
    json call = {{"function", {{"name", "f"}, {"arguments", json::object()}}}};
    json o = chat_request({{"messages",
                            {user("a"), {{"role", "assistant"}, {"tool_calls", {call}}},
                             {{"role", "tool"}, {"content", "1"}, {"tool_name", "f"}},
                             {{"role", "assistant"}, {"content", "again"}, {"tool_calls", {call, call}}},
                             {{"role", "tool"}, {"content", "3"}, {"tool_call_id", "call_2"}},
                             {{"role", "tool"}, {"content", "2"}}}}});
    CHECK(o["messages"][2]["tool_call_id"] == "call_0");
    CHECK(o["messages"][3]["content"] == "again");
    CHECK(o["messages"][4]["tool_call_id"] == "call_2");
    CHECK(o["messages"][5]["tool_call_id"] == "call_1");  // no name: the first call still open
  }
  SECTION("a tool result that answers no call is refused") {
    CHECK(refusal(ollama_chat_api(), {{"messages", {user("a"), {{"role", "tool"}, {"content", "1"}, {"tool_name", "f"}}}}}) ==
          "messages[1].tool_name 'f' answers no earlier unanswered tool call; send tool results after the "
          "assistant message whose tool_calls they answer");
    CHECK(refusal(ollama_chat_api(), {{"messages", {user("a"), {{"role", "tool"}, {"content", "1"}}}}})
              .rfind("messages[1].role 'tool' answers no earlier tool call", 0) == 0);
  }
  SECTION("tool calls of the wrong shape are refused, naming the field") {
    auto with = [](const json& calls, const std::string& role = "assistant") {
      return refusal(ollama_chat_api(), {{"messages", {user("a"), {{"role", role}, {"tool_calls", calls}}}}});
    };
    CHECK(with({{{"function", {{"name", "f"}, {"arguments", "{\"a\":1}"}}}}}) ==
          "messages[1].tool_calls[0].function.arguments must be an object (got string)");
    CHECK(with({{{"function", {{"arguments", json::object()}}}}}) ==
          "messages[1].tool_calls[0].function.name must be a non-empty string");
    CHECK(with({{{"name", "f"}}}) == "messages[1].tool_calls[0].function must be an object with a name and arguments");
    CHECK(with({"f"}) == "messages[1].tool_calls[0] must be an object (got string)");
    CHECK(with({{{"id", 3}, {"function", {{"name", "f"}}}}}) == "messages[1].tool_calls[0].id must be a string (got number)");
    CHECK(with({{"function", {{"name", "f"}}}}) == "messages[1].tool_calls must be a list (got object)");
    CHECK(with({{{"function", {{"name", "f"}}}}}, "user") == "messages[1].tool_calls: only assistant messages make tool calls");
  }
}

TEST_CASE("an /api/chat request of the wrong shape is refused, naming the field", "[ollama]") {
  const ClientApi& api = ollama_chat_api();
  CHECK(refusal(api, {{"messages", user("hi")}}) == "'messages' must be a list (got object)");
  CHECK(refusal(api, {{"model", "m"}}) == "'messages' must be a list (got null)");
  CHECK(refusal(api, {{"messages", json::array()}}).rfind("'messages' is empty", 0) == 0);
  CHECK(refusal(api, {{"messages", {"hi"}}}) == "messages[0] must be an object (got string)");
  CHECK(refusal(api, {{"messages", {{{"role", 1}, {"content", "hi"}}}}}) == "messages[0].role must be a string (got number)");
  CHECK(refusal(api, {{"messages", {{{"content", "hi"}}}}}) == "messages[0].role must be a string (got null)");
  CHECK(refusal(api, {{"messages", {{{"role", "developer"}, {"content", "hi"}}}}}) ==
        "messages[0].role 'developer' is not one of system, user, assistant, tool");
  CHECK(refusal(api, {{"messages", {{{"role", "user"}, {"content", {"hi"}}}}}}) ==
        "messages[0].content must be a string (got list)");
  CHECK(refusal(api, {{"messages", {user("hi")}}, {"model", 3}}) == "'model' must be a string (got number)");
  CHECK(refusal(api, {{"messages", {user("hi")}}, {"stream", "yes"}}) == "'stream' must be true or false (got string)");
  CHECK(refusal(api, {{"messages", {user("hi")}}, {"tools", {{"type", "function"}}}}) == "'tools' must be a list (got object)");
  CHECK(refusal(api, {{"messages", {user("hi")}}, {"tools", {"f"}}}) == "tools[0] must be an object (got string)");
  CHECK(refusal(api, json::array()) == "the request body must be a JSON object (got list)");
}

TEST_CASE("an /api/generate request becomes a system and a user message", "[ollama]") {
  std::string problem;
  std::optional<json> out = translate(ollama_generate_api(),
                                      {{"model", "qwen3"}, {"prompt", "describe"}, {"system", "be brief"},
                                       {"images", {kPng}}, {"format", "json"}, {"options", {{"num_predict", 9}}},
                                       {"raw", false}, {"context", json::array()}, {"keep_alive", 0}},
                                      &problem);
  REQUIRE(out);
  CHECK(*out == json{{"model", "qwen3"},
                     {"messages",
                      {{{"role", "system"}, {"content", "be brief"}},
                       {{"role", "user"},
                        {"content",
                         {{{"type", "text"}, {"text", "describe"}},
                          {{"type", "image_url"}, {"image_url", {{"url", std::string("data:image/png;base64,") + kPng}}}}}}}}},
                     {"response_format", {{"type", "json_object"}}},
                     {"max_tokens", 9},
                     {"stream", true},
                     {"stream_options", {{"include_usage", true}}}});

  SECTION("without a system prompt, one user message") {
    std::optional<json> o = translate(ollama_generate_api(), {{"prompt", "hi"}, {"stream", false}}, &problem);
    REQUIRE(o);
    CHECK(*o == json{{"messages", {user("hi")}}, {"stream", false}});
  }
}

TEST_CASE("/api/generate fields chat completions cannot carry are refused, naming the field", "[ollama]") {
  const ClientApi& api = ollama_generate_api();
  CHECK(refusal(api, {{"prompt", "hi"}, {"raw", true}}).rfind("'raw' cannot be translated to chat completions", 0) == 0);
  CHECK(refusal(api, {{"prompt", "hi"}, {"template", "{{ .Prompt }}"}}).rfind("'template' cannot be translated", 0) == 0);
  CHECK(refusal(api, {{"prompt", "hi"}, {"context", {1, 2, 3}}}).rfind("'context' cannot be translated", 0) == 0);
  CHECK(refusal(api, {{"prompt", "def f("}, {"suffix", "return x"}}).rfind("'suffix' cannot be translated", 0) == 0);
  CHECK(refusal(api, {{"prompt", 3}}) == "'prompt' must be a string (got number)");
  CHECK(refusal(api, {{"prompt", "hi"}, {"system", {"a"}}}) == "'system' must be a string (got list)");
  CHECK(refusal(api, {{"model", "m"}}).rfind("'prompt' is empty", 0) == 0);
  CHECK(refusal(api, {{"prompt", "hi"}, {"images", {"%%"}}}).rfind("images[0] is not base64", 0) == 0);
  CHECK(refusal(api, {{"prompt", "hi"}, {"options", {{"seed", "x"}}}}) == "options.seed must be an integer (got string)");
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
  std::string problem;
  CHECK_NOTHROW(ollama_chat_api().to_chat_request(
      {{"messages", {user(bad), {{"role", "assistant"}, {"tool_calls", {{{"function", {{"name", "f"}, {"arguments", {{"k", bad}}}}}}}}}}}},
      &problem));
}
