// Ollama's own API on the proxy, in front of an upstream that speaks only chat completions:
// what an Ollama client (the ollama libraries, Open WebUI, Continue) gets back from /api/chat
// and /api/generate, what the upstream got, what was logged, the routes a client calls before
// it chats, and {"error": "…"} bodies for everything that goes wrong.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

// Inside a namespace of its own: the helpers' names and a using-directive would otherwise
// meet the other files of a unity batch.
namespace autoswarm::testing::ollama_api_test {

using nlohmann::json;

namespace {

// A reply with known usage, so the counts of the last line can be checked exactly.
const char* kScriptedText = R"(
rules:
  - reply:
      content: "Use ls -la."
      usage: {prompt_tokens: 10, completion_tokens: 5}
    stream: {chunk_size: 4}
)";

// /api/chat's body; without `stream` it streams, as Ollama does.
json chat_body(const std::string& text, std::optional<bool> stream) {
  json body = {{"model", "fake-model"},
               {"messages", json::array({{{"role", "system"}, {"content", "You are terse."}},
                                         {{"role", "user"}, {"content", text}}})}};
  if (stream) body["stream"] = *stream;
  return body;
}

json generate_body(const std::string& prompt, bool stream) {
  return {{"model", "fake-model"}, {"prompt", prompt}, {"system", "Be brief."}, {"stream", stream}};
}

// The fields of the last object of a reply whose usage is kScriptedText's.
json done_fields() {
  return {{"done", true},          {"done_reason", "stop"}, {"total_duration", 0}, {"load_duration", 0},
          {"prompt_eval_count", 10}, {"prompt_eval_duration", 0}, {"eval_count", 5}, {"eval_duration", 0}};
}

httplib::Result post(ProxyUnderTest& p, const std::string& path, const json& body, httplib::Headers headers = {}) {
  return p.client().Post(path, headers, body.dump(), "application/json");
}

// The NDJSON lines of a streamed reply, each parsed.
std::vector<json> lines_of(const httplib::Result& res) {
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/x-ndjson");
  std::vector<json> out;
  size_t pos = 0;
  while (pos < res->body.size()) {
    const size_t nl = res->body.find('\n', pos);
    REQUIRE(nl != std::string::npos);  // every line ends with a newline
    out.push_back(json::parse(res->body.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return out;
}

// The message of an Ollama error reply with this status: {"error": "<message>"} and nothing else.
std::string error_with_status(const httplib::Result& res, int status) {
  REQUIRE(res);
  INFO(res->body);
  CHECK(res->status == status);
  const json body = json::parse(res->body);
  REQUIRE(body.is_object());
  CHECK(body.size() == 1);
  REQUIRE(body["error"].is_string());
  return body["error"];
}

// How many chat requests reached the upstream (the proxy also asks it for its models).
size_t chats_sent(const ProxyUnderTest& p) {
  size_t n = 0;
  for (const json& r : p.fake.requests()) n += r["path"] == "/v1/chat/completions" ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("an /api/chat request is answered as Ollama's reply, with skills in the system message upstream",
          "[proxy][ollama]") {
  ProxyUnderTest p;
  p.fake.set_script(kScriptedText);
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  auto res = post(p, "/api/chat", chat_body("how do I list files?", false));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const json reply = json::parse(res->body);
  REQUIRE(reply["created_at"].is_string());
  json expected = {{"model", "fake-model"}, {"created_at", reply["created_at"]},
                   {"message", {{"role", "assistant"}, {"content", "Use ls -la."}}}};
  expected.update(done_fields());
  CHECK(reply == expected);

  const json seen = p.fake.requests().back()["body"];
  CHECK(seen["messages"] == json::array({{{"role", "system"}, {"content", "You are terse.\n\n" + kOneSkillBlock}},
                                         {{"role", "user"}, {"content", "how do I list files?"}}}));
  CHECK(seen["stream"] == false);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "ollama-chat");
  CHECK(logs[0]["stream"] == false);
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["messages"] == chat_body("how do I list files?", false)["messages"]);
  CHECK(logs[0]["client_request"] == chat_body("how do I list files?", false));
  CHECK(logs[0]["reply"] == json{{"content", "Use ls -la."}, {"tool_calls", json::array()}, {"finish_reason", "stop"}});
}

TEST_CASE("an /api/chat request without stream is streamed as NDJSON lines ending with done",
          "[proxy][ollama]") {
  ProxyUnderTest p;
  p.fake.set_script(kScriptedText);
  const std::vector<json> lines = lines_of(post(p, "/api/chat", chat_body("list", std::nullopt)));
  // "Use ls -la." in fragments of 4, then the last line.
  REQUIRE(lines.size() == 4);
  const std::vector<std::string> fragments = {"Use ", "ls -", "la."};
  for (size_t i = 0; i < 3; ++i) {
    CHECK(lines[i] == json{{"model", "fake-model"}, {"created_at", lines[0]["created_at"]},
                           {"message", {{"role", "assistant"}, {"content", fragments[i]}}}, {"done", false}});
  }
  json last = {{"model", "fake-model"}, {"created_at", lines[0]["created_at"]},
               {"message", {{"role", "assistant"}, {"content", ""}}}};
  last.update(done_fields());
  CHECK(lines[3] == last);
  CHECK(p.fake.requests().back()["body"]["stream_options"]["include_usage"] == true);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "ollama-chat");
  CHECK(logs[0]["stream"] == true);
  CHECK(logs[0]["client_request"] == chat_body("list", std::nullopt));
  CHECK(logs[0]["reply"]["content"] == "Use ls -la.");
}

TEST_CASE("/api/generate puts its system field first upstream, with the skills, and answers in response",
          "[proxy][ollama]") {
  ProxyUnderTest p;
  p.fake.set_script(kScriptedText);
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  SECTION("whole") {
    auto res = post(p, "/api/generate", generate_body("how do I list files?", false));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json reply = json::parse(res->body);
    json expected = {{"model", "fake-model"}, {"created_at", reply["created_at"]}, {"response", "Use ls -la."}};
    expected.update(done_fields());
    CHECK(reply == expected);
  }
  SECTION("streamed") {
    const std::vector<json> lines = lines_of(post(p, "/api/generate", generate_body("how do I list files?", true)));
    REQUIRE(lines.size() == 4);
    std::string text;
    for (size_t i = 0; i < 3; ++i) {
      CHECK(lines[i]["done"] == false);
      CHECK_FALSE(lines[i].contains("message"));
      text += lines[i]["response"].get<std::string>();
    }
    CHECK(text == "Use ls -la.");
    json last = {{"model", "fake-model"}, {"created_at", lines[0]["created_at"]}, {"response", ""}};
    last.update(done_fields());
    CHECK(lines[3] == last);
  }
  const json seen = p.fake.requests().back()["body"];
  CHECK(seen["messages"] == json::array({{{"role", "system"}, {"content", "Be brief.\n\n" + kOneSkillBlock}},
                                         {{"role", "user"}, {"content", "how do I list files?"}}}));
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "ollama-generate");
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["messages"] == json::array({{{"role", "system"}, {"content", "Be brief."}},
                                            {{"role", "user"}, {"content", "how do I list files?"}}}));
  CHECK(logs[0]["client_request"] == generate_body("how do I list files?", logs[0]["stream"].get<bool>()));
  CHECK(logs[0]["reply"]["content"] == "Use ls -la.");
}

TEST_CASE("the upstream's tool call reaches an Ollama client whole, its arguments an object", "[proxy][ollama]") {
  auto flavor = GENERATE(Flavor::kLmStudio, Flavor::kOllama);  // fragmented and whole tool calls
  ProxyUnderTest p({.flavor = flavor});
  p.fake.set_script(kListingWithToolCallScript);
  const json tools = json::parse(R"([{"type":"function","function":{"name":"run_shell","description":"Run",
                                      "parameters":{"type":"object"}}}])");
  const json expected_calls = json::parse(R"([{"id":"call_7","function":{"index":0,"name":"run_shell",
                                              "arguments":{"command":"ls -la"}}}])");
  SECTION("whole") {
    json body = chat_body("list", false);
    body["tools"] = tools;
    auto res = post(p, "/api/chat", body);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json reply = json::parse(res->body);
    CHECK(reply["message"] == json{{"role", "assistant"}, {"content", "Listing."}, {"tool_calls", expected_calls}});
    CHECK(reply["done_reason"] == "stop");
  }
  SECTION("streamed: the calls in one line before the last") {
    json body = chat_body("list", true);
    body["tools"] = tools;
    const std::vector<json> lines = lines_of(post(p, "/api/chat", body));
    REQUIRE(lines.size() >= 3);
    std::string text;
    for (size_t i = 0; i + 2 < lines.size(); ++i) {
      CHECK_FALSE(lines[i]["message"].contains("tool_calls"));
      text += lines[i]["message"]["content"].get<std::string>();
    }
    CHECK(text == "Listing.");
    const json& calls = lines[lines.size() - 2];
    CHECK(calls["done"] == false);
    CHECK(calls["message"] == json{{"role", "assistant"}, {"content", ""}, {"tool_calls", expected_calls}});
    CHECK(lines.back()["done"] == true);
    CHECK(lines.back()["done_reason"] == "stop");
  }
  CHECK(p.fake.requests().back()["body"]["tools"] == tools);
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["reply"]["tool_calls"][0]["function"]["arguments"] == "{\"command\":\"ls -la\"}");
  CHECK(logs[0]["reply"]["finish_reason"] == "tool_calls");
}

TEST_CASE("a tool message naming its tool goes upstream answering the call it names", "[proxy][ollama]") {
  ProxyUnderTest p;
  json body = chat_body("ignored", false);
  body["messages"] = json::parse(R"([
    {"role":"user","content":"list"},
    {"role":"assistant","content":"","tool_calls":[{"function":{"name":"run_shell","arguments":{"command":"ls"}}}]},
    {"role":"tool","tool_name":"run_shell","content":"a.txt"}])");
  auto res = post(p, "/api/chat", body);
  REQUIRE(res);
  CHECK(res->status == 200);
  const json seen = p.fake.requests().back()["body"]["messages"];
  CHECK(seen == json::parse(R"([
    {"role":"user","content":"list"},
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"call_0","type":"function","function":{"name":"run_shell","arguments":"{\"command\":\"ls\"}"}}]},
    {"role":"tool","tool_call_id":"call_0","content":"a.txt"}])"));
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["messages"] == seen);
  CHECK(logs[0]["client_request"] == body);
}

TEST_CASE("Ollama errors are {\"error\": message} with the right status", "[proxy][ollama][faults]") {
  SECTION("malformed JSON") {
    ProxyUnderTest p;
    auto res = p.client().Post("/api/chat", "{\"messages\": [", "application/json");
    CHECK_THAT(error_with_status(res, 400), Catch::StartsWith("the request body is not valid JSON"));
  }
  SECTION("a field of the wrong type, named") {
    ProxyUnderTest p;
    json body = chat_body("x", false);
    body["messages"] = "hi";
    CHECK(error_with_status(post(p, "/api/chat", body), 400) == "'messages' must be a list (got string)");
    body = chat_body("x", false);
    body["options"] = {{"temperature", "hot"}};
    CHECK(error_with_status(post(p, "/api/chat", body), 400) == "options.temperature must be a number (got string)");
    CHECK(chats_sent(p) == 0);
  }
  SECTION("what chat completions cannot carry, named") {
    ProxyUnderTest p;
    json body = generate_body("x", false);
    body["raw"] = true;
    CHECK(error_with_status(post(p, "/api/generate", body), 400) ==
          "'raw' cannot be translated to chat completions: a raw prompt skips the model's chat template; "
          "use raw false or /api/chat");
    CHECK(chats_sent(p) == 0);
  }
  SECTION("an unknown model") {
    ProxyUnderTest p({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
    for (bool stream : {false, true}) {
      json body = chat_body("x", stream);
      body["model"] = "llama3.2";
      CHECK_THAT(error_with_status(post(p, "/api/chat", body), 404), Catch::Contains("llama3.2"));
    }
  }
  SECTION("the upstream down, streamed or not") {
    ProxyUnderTest p;
    p.fake.stop();
    for (bool stream : {false, true}) {
      CHECK_THAT(error_with_status(post(p, "/api/chat", chat_body("x", stream)), 502),
                 Catch::Contains("autoswarm doctor"));
    }
  }
  SECTION("a stream cut or failed by the upstream ends with an error line, never done") {
    for (const char* fault : {"cut_after_events: 3", "error_event_after: 3"}) {
      INFO(fault);
      ProxyUnderTest p;
      p.fake.set_script(std::string("rules:\n  - reply: {content: \"a long answer here\"}\n") +
                        "    stream: {chunk_size: 2}\n    fault: {" + fault + "}\n");
      const std::vector<json> lines = lines_of(post(p, "/api/chat", chat_body("x", true)));
      REQUIRE(lines.size() >= 2);
      for (size_t i = 0; i + 1 < lines.size(); ++i) CHECK(lines[i]["done"] == false);
      CHECK(lines.back().size() == 1);
      REQUIRE(lines.back()["error"].is_string());
      CHECK_FALSE(lines.back()["error"].get<std::string>().empty());
      auto logs = p.logs(1);
      REQUIRE(logs.size() == 1);
      CHECK(logs[0]["protocol"] == "ollama-chat");
      CHECK_FALSE(logs[0]["error"].is_null());
    }
  }
  SECTION("a wrong key, an unknown endpoint") {
    ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.proxy_key = "sekrit"; });
    CHECK_THAT(error_with_status(post(p, "/api/chat", chat_body("x", false), {{"Authorization", "Bearer nope"}}), 401),
               Catch::Contains("API key"));
    auto right = post(p, "/api/chat", chat_body("x", false), {{"Authorization", "Bearer sekrit"}});
    REQUIRE(right);
    CHECK(right->status == 200);
    CHECK_THAT(error_with_status(post(p, "/api/pull", {{"model", "x"}}, {{"Authorization", "Bearer sekrit"}}), 404),
               Catch::Contains("/api/chat"));
  }
}

TEST_CASE("the routes an Ollama client calls before it chats answer from the upstream", "[proxy][ollama]") {
  ProxyUnderTest p;
  SECTION("/api/tags lists the upstream's model") {
    auto res = p.client().Get("/api/tags");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json models = json::parse(res->body)["models"];
    REQUIRE(models.size() == 1);
    CHECK(models[0]["name"] == "fake-model");
    CHECK(models[0]["model"] == "fake-model");
  }
  SECTION("/api/show of a model the upstream serves, and of one it does not") {
    auto shown = post(p, "/api/show", {{"model", "fake-model"}});
    REQUIRE(shown);
    CHECK(shown->status == 200);
    CHECK(json::parse(shown->body).contains("details"));
    CHECK(error_with_status(post(p, "/api/show", {{"model", "nope"}}), 404) == "model 'nope' not found");
  }
  SECTION("/api/embed embeds each input") {
    auto res = post(p, "/api/embed", {{"model", "fake-model"}, {"input", {"a", "b"}}});
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json reply = json::parse(res->body);
    CHECK(reply["embeddings"] == json::parse("[[0.1,0.2,0.3],[0.1,0.2,0.3]]"));
    const json seen = p.fake.requests().back();
    CHECK(seen["path"] == "/v1/embeddings");
    CHECK(seen["body"]["input"] == json{"a", "b"});
  }
  SECTION("/ is Ollama's health check, unless a browser asks") {
    auto res = p.client().Get("/");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "Ollama is running");
    auto browser = p.client().Get("/", {{"Accept", "text/html,application/xhtml+xml"}});
    REQUIRE(browser);
    CHECK(browser->status == 404);
  }
  SECTION("/api/version") {
    auto res = p.client().Get("/api/version");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json version = json::parse(res->body)["version"];
    REQUIRE(version.is_string());
    CHECK_FALSE(version.get<std::string>().empty());
  }
}

}  // namespace autoswarm::testing::ollama_api_test
