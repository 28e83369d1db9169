// Ollama's /api/chat and /api/generate requests as the chat completions requests the proxy
// sends upstream, and the 400s for what cannot be translated.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "autoswarm/client_api/client_api.h"

using autoswarm::client_api::ClientApi;
using autoswarm::client_api::ollama_chat_api;
using autoswarm::client_api::ollama_generate_api;
using autoswarm::client_api::Protocol;
using nlohmann::json;

namespace ollama_request_test {

// A 1x1 PNG's first bytes, a JPEG's, a GIF's and a WebP's, in base64.
const char* const kPng = "iVBORw0KGgoAAAANSUhEUg==";
const char* const kJpeg = "/9j/4AAQSkZJRg==";
const char* const kGif = "R0lGODlhAQABAA==";
const char* const kWebp = "UklGRiQAAABXRUJQVlA4IA==";

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
  CHECK(autoswarm::llm::chat_request_problem(*out).empty());  // what the proxy checks next
  return *out;
}

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

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

TEST_CASE("invalid UTF-8 in an Ollama request is never thrown on", "[ollama]") {
  const std::string bad = "caf\xC3";
  json out = chat_request(
      {{"messages", {user(bad), {{"role", "assistant"}, {"tool_calls", {{{"function", {{"name", "f"}, {"arguments", {{"k", bad}}}}}}}}}}}});
  CHECK(out["messages"][1]["tool_calls"][0]["function"]["arguments"] == "{\"k\":\"caf\xEF\xBF\xBD\"}");
  std::string problem;
  CHECK_NOTHROW(ollama_generate_api().to_chat_request({{"prompt", bad}, {"system", bad}}, &problem));
}

TEST_CASE("any JSON type in any Ollama request field is translated or refused, never thrown on", "[ollama]") {
  const json odd[] = {nullptr, 1, -2, 1.5, "x", "", true, false, json::array(), json::object(), {1, "a"}, {{"k", 1}}};
  json call = {{"id", "c"}, {"function", {{"name", "f"}, {"arguments", {{"a", 1}}}}}};
  json chat = {{"model", "m"},
               {"messages", {{{"role", "user"}, {"content", "hi"}, {"images", {"iVBORw0KGgo="}}},
                             {{"role", "assistant"}, {"content", ""}, {"tool_calls", {call}}},
                             {{"role", "tool"}, {"content", "r"}, {"tool_name", "f"}}}},
               {"tools", json::array()}, {"format", "json"}, {"options", {{"stop", "x"}}}, {"stream", true}};
  json generate = {{"model", "m"}, {"prompt", "p"}, {"system", "s"}, {"images", json::array()}, {"raw", false},
                   {"template", ""}, {"context", json::array()}, {"suffix", ""}, {"format", "json"}, {"stream", false}};
  const std::vector<json::json_pointer> chat_fields = {
      json::json_pointer("/model"), json::json_pointer("/messages"), json::json_pointer("/messages/0"),
      json::json_pointer("/messages/0/role"), json::json_pointer("/messages/0/content"),
      json::json_pointer("/messages/0/images"), json::json_pointer("/messages/0/images/0"),
      json::json_pointer("/messages/1/tool_calls"), json::json_pointer("/messages/1/tool_calls/0"),
      json::json_pointer("/messages/1/tool_calls/0/id"), json::json_pointer("/messages/1/tool_calls/0/function"),
      json::json_pointer("/messages/1/tool_calls/0/function/name"),
      json::json_pointer("/messages/1/tool_calls/0/function/arguments"), json::json_pointer("/messages/2/tool_name"),
      json::json_pointer("/messages/2/tool_call_id"), json::json_pointer("/tools"), json::json_pointer("/format"),
      json::json_pointer("/options"), json::json_pointer("/options/stop"), json::json_pointer("/options/num_predict"),
      json::json_pointer("/options/temperature"), json::json_pointer("/options/seed"), json::json_pointer("/stream")};
  std::string problem;
  for (const auto& field : chat_fields) {
    for (const json& value : odd) {
      json request = chat;
      request[field] = value;
      INFO(field.to_string() << " = " << value.dump());
      CHECK_NOTHROW(ollama_chat_api().to_chat_request(request, &problem));
    }
  }
  for (const char* key : {"/model", "/prompt", "/system", "/images", "/raw", "/template", "/context", "/suffix", "/format",
                          "/options", "/stream"}) {
    for (const json& value : odd) {
      json request = generate;
      request[json::json_pointer(key)] = value;
      INFO(key << " = " << value.dump());
      CHECK_NOTHROW(ollama_generate_api().to_chat_request(request, &problem));
    }
  }
}

}  // namespace ollama_request_test
