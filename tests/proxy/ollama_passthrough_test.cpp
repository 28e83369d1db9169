// Ollama's /api/chat and /api/generate in front of an upstream that is Ollama: the request
// passes through to the upstream's own route as the client sent it (options, keep_alive and
// all), with the model chosen and the skills in its system prompt; the reply is the upstream's
// bytes (NDJSON when streamed, Ollama's default), and the log record is a translated
// exchange's. An upstream without the routes is found out once and translated from then on.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

namespace autoswarm::testing::ollama_passthrough_test {

using nlohmann::json;

namespace {

const FakeUpstreamOptions kOllamaUpstream{.flavor = Flavor::kOllama, .native_apis = true};

// What an Ollama client sends: Ollama's own tuning fields, which only pass-through keeps.
json chat_body(const std::string& text, std::optional<bool> stream) {
  json body = {{"model", "fake-model"},
               {"messages", json::array({{{"role", "system"}, {"content", "You are terse."}},
                                         {{"role", "user"}, {"content", text}}})},
               {"options", {{"num_ctx", 8192}, {"temperature", 0.2}}},
               {"keep_alive", "10m"}};
  if (stream) body["stream"] = *stream;
  return body;
}

httplib::Result post(ProxyUnderTest& p, const std::string& path, const json& body) {
  return p.client().Post(path, body.dump(), "application/json");
}

std::vector<json> ndjson_lines(const std::string& body) {
  std::vector<json> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t nl = body.find('\n', pos);
    REQUIRE(nl != std::string::npos);
    out.push_back(json::parse(body.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("an /api/chat request passes through to an Ollama upstream's /api/chat with skills in its system message",
          "[proxy][ollama][passthrough]") {
  ProxyUnderTest p(kOllamaUpstream);
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  const json body = chat_body("how do I list files?", false);
  auto res = post(p, "/api/chat", body);
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  const json reply = json::parse(res->body);
  CHECK(reply["message"]["content"] == "echo: how do I list files?");
  CHECK(reply["done"] == true);

  REQUIRE(upstream_post_paths(p.fake) == std::vector<std::string>{"/api/chat"});
  json seen = upstream_posts(p.fake)[0]["body"];
  CHECK(seen["messages"][0]["content"] == "You are terse.\n\n" + kOneSkillBlock);
  seen["messages"][0]["content"] = "You are terse.";
  CHECK(seen == body);  // options, keep_alive and the rest as the client sent them

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "ollama-chat");
  CHECK(logs[0]["status"] == 200);
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["client_request"] == body);
  CHECK(logs[0]["messages"][1] == json({{"role", "user"}, {"content", "how do I list files?"}}));
  CHECK(logs[0]["reply"]["content"] == "echo: how do I list files?");
  CHECK(logs[0]["reply"]["finish_reason"] == "stop");
  CHECK(logs[0]["usage"]["completion_tokens"].get<int>() > 0);
}

TEST_CASE("an /api/chat request without `stream` is relayed as the Ollama upstream's own NDJSON stream",
          "[proxy][ollama][passthrough]") {
  ProxyUnderTest p(kOllamaUpstream);
  p.fake.set_script(kListingWithToolCallScript);
  json body = chat_body("list", std::nullopt);
  body["tools"] = json::parse(R"([{"type":"function","function":{"name":"run_shell","parameters":{"type":"object"}}}])");
  auto res = post(p, "/api/chat", body);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/x-ndjson");
  const std::vector<json> lines = ndjson_lines(res->body);
  REQUIRE(lines.size() > 2);
  CHECK(lines.back()["done"] == true);
  std::string text;
  json calls = json::array();
  for (const json& line : lines) {
    text += line["message"]["content"].get<std::string>();
    if (line["message"].contains("tool_calls")) calls = line["message"]["tool_calls"];
  }
  CHECK(text == "Listing.");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["function"]["arguments"] == json({{"command", "ls -la"}}));
  REQUIRE(upstream_post_paths(p.fake) == std::vector<std::string>{"/api/chat"});
  CHECK_FALSE(upstream_posts(p.fake)[0]["body"].contains("stream"));  // Ollama's default stands

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["stream"] == true);
  CHECK(logs[0]["reply"]["content"] == "Listing.");
  CHECK(logs[0]["reply"]["finish_reason"] == "tool_calls");
  REQUIRE(logs[0]["reply"]["tool_calls"].size() == 1);
  CHECK(logs[0]["reply"]["tool_calls"][0]["function"]["name"] == "run_shell");
  CHECK(logs[0]["error"].is_null());
}

TEST_CASE("an /api/generate request passes through with the skills after its `system`",
          "[proxy][ollama][passthrough]") {
  ProxyUnderTest p(kOllamaUpstream);
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  const json body = {{"model", "fake-model"}, {"prompt", "list files"}, {"system", "Be brief."},
                     {"stream", false}, {"raw", false}, {"options", {{"num_predict", 64}}}};
  auto res = post(p, "/api/generate", body);
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  CHECK(json::parse(res->body)["response"] == "echo: list files");
  REQUIRE(upstream_post_paths(p.fake) == std::vector<std::string>{"/api/generate"});
  json seen = upstream_posts(p.fake)[0]["body"];
  CHECK(seen["system"] == "Be brief.\n\n" + kOneSkillBlock);
  seen["system"] = "Be brief.";
  CHECK(seen == body);
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "ollama-generate");
  CHECK(logs[0]["reply"]["content"] == "echo: list files");
}

TEST_CASE("a model the Ollama upstream does not have is its 404, as Ollama's error body",
          "[proxy][ollama][passthrough]") {
  ProxyUnderTest p(kOllamaUpstream);
  json body = chat_body("hi", false);
  body["model"] = "no-such-model";
  auto res = post(p, "/api/chat", body);
  REQUIRE(res);
  INFO(res->body);
  CHECK(res->status == 404);
  const json error = json::parse(res->body);
  REQUIRE(error["error"].is_string());
  CHECK_THAT(error["error"].get<std::string>(), Catch::Contains("no-such-model"));
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/api/chat"});  // not translated after it
  // The route is still known served: the next request goes straight to it.
  auto again = post(p, "/api/chat", chat_body("hi", false));
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/api/chat", "/api/chat"});
}

TEST_CASE("an upstream without Ollama's routes is asked once, then /api/chat is translated",
          "[proxy][ollama][passthrough]") {
  ProxyUnderTest p({.flavor = Flavor::kVllm, .native_apis = false});
  for (int i = 0; i < 2; ++i) {
    auto res = post(p, "/api/chat", chat_body("hi", false));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    CHECK(json::parse(res->body)["message"]["content"] == "echo: hi");
  }
  CHECK(upstream_post_paths(p.fake) ==
        std::vector<std::string>{"/api/chat", "/v1/chat/completions", "/v1/chat/completions"});
}

TEST_CASE("an upstream identified as another server is never asked for Ollama's routes",
          "[proxy][ollama][passthrough]") {
  ProxyUnderTest p({.flavor = Flavor::kVllm}, [](proxy::ProxyOptions& o) { o.upstream.kind = llm::ServerKind::kVllm; });
  auto res = post(p, "/api/generate", {{"model", "fake-model"}, {"prompt", "hi"}, {"stream", false}});
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/chat/completions"});
}

}  // namespace autoswarm::testing::ollama_passthrough_test
