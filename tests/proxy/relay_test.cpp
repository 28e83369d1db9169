// The proxy relays what the upstream says: the same content streamed or not, tool calls in both
// streaming styles, the listing and the other OpenAI endpoints, and the client's model choice.
#include <catch2/catch.hpp>

#include "autoswarm/llm/sse_parser.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

std::string chat_body(const std::string& text, bool stream, const std::string& model = "") {
  json body = {{"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  if (stream) body["stream"] = true;
  if (!model.empty()) body["model"] = model;
  return body.dump();
}

std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  llm::SseParser parser;
  auto on = [&](llm::SseEvent&& e) { out.push_back(e.data); };
  parser.feed(body, on);
  parser.finish(on);
  return out;
}

std::string streamed_content(const std::vector<std::string>& events) {
  std::string text;
  for (const auto& d : events) {
    if (d == "[DONE]") continue;
    json c = json::parse(d);
    if (c.contains("choices") && !c["choices"].empty()) text += c["choices"][0]["delta"].value("content", "");
  }
  return text;
}

}  // namespace

TEST_CASE("non-streaming replies are relayed byte for byte", "[proxy]") {
  ProxyUnderTest p;
  p.fake.set_script("rules:\n  - reply: {content: \"Bonjour, ça va ? \\\"quoted\\\" \\u00e9\"}\n");
  auto res = p.client().Post("/v1/chat/completions", chat_body("hi", false), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  json reply = json::parse(res->body);
  CHECK(reply["choices"][0]["message"]["content"] == "Bonjour, ça va ? \"quoted\" é");

  // The same request straight to the upstream gives the same bytes, ids and times aside.
  httplib::Client direct("127.0.0.1", p.fake.port());
  auto d = direct.Post("/v1/chat/completions", chat_body("hi", false, "fake-model"), "application/json");
  json direct_reply = json::parse(d->body);
  for (json* j : {&reply, &direct_reply}) {
    j->erase("id");
    j->erase("created");
  }
  CHECK(reply == direct_reply);
}

TEST_CASE("streams are relayed event by event with the same content", "[proxy]") {
  ProxyUnderTest p;
  const std::string text = "Streaming through the proxy keeps every piece, in order.";
  p.fake.set_script("rules:\n  - reply: {content: \"" + text + "\"}\n    stream: {chunk_size: 3}\n");
  auto res = p.client().Post("/v1/chat/completions", chat_body("go", true), "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/event-stream");
  auto events = sse_data(res->body);
  REQUIRE(events.size() > 10);
  CHECK(events.back() == "[DONE]");
  CHECK(streamed_content(events) == text);
  // The client did not ask for usage: the usage-only chunk the proxy asked for stays upstream.
  for (const auto& d : events) {
    if (d != "[DONE]") CHECK_FALSE(json::parse(d)["choices"].empty());
  }
  SECTION("a client that asks for usage gets the usage chunk") {
    json body = json::parse(chat_body("go", true));
    body["stream_options"] = {{"include_usage", true}};
    auto r2 = p.client().Post("/v1/chat/completions", body.dump(), "application/json");
    auto ev = sse_data(r2->body);
    REQUIRE(ev.size() >= 2);
    json usage_chunk = json::parse(ev[ev.size() - 2]);
    CHECK(usage_chunk["choices"].empty());
    CHECK(usage_chunk["usage"]["completion_tokens"].get<int>() > 0);
  }
}

TEST_CASE("streamed tool calls reach the client in both upstream styles", "[proxy]") {
  auto flavor = GENERATE(Flavor::kLmStudio, Flavor::kOllama);
  ProxyUnderTest p({.flavor = flavor});
  p.fake.set_script(R"(
rules:
  - reply:
      tool_calls: [{name: run_shell, arguments: {command: "ls -la"}}]
    stream: {chunk_size: 2}
)");
  auto res = p.client().Post("/v1/chat/completions", chat_body("list", true), "application/json");
  REQUIRE(res);
  std::string args, name;
  for (const auto& d : sse_data(res->body)) {
    if (d == "[DONE]") continue;
    json c = json::parse(d);
    for (const auto& tc : c["choices"][0]["delta"].value("tool_calls", json::array())) {
      name += tc["function"].value("name", "");
      args += tc["function"].value("arguments", "");
    }
  }
  CHECK(name == "run_shell");
  CHECK(json::parse(args) == json{{"command", "ls -la"}});
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["reply"]["tool_calls"][0]["function"]["name"] == "run_shell");
  CHECK(logs[0]["reply"]["finish_reason"] == "tool_calls");
}

TEST_CASE("the model: default when missing, the client's when served, replaced when forced", "[proxy]") {
  SECTION("no model in the request uses the chosen one") {
    ProxyUnderTest p;
    p.client().Post("/v1/chat/completions", chat_body("x", false), "application/json");
    CHECK(p.fake.requests().back()["body"]["model"] == "fake-model");
  }
  SECTION("a client's model passes through when --model was not given") {
    ProxyUnderTest p({.models = {{"fake-model", true}, {"other", true}}});
    p.client().Post("/v1/chat/completions", chat_body("x", false, "other"), "application/json");
    CHECK(p.fake.requests().back()["body"]["model"] == "other");
  }
  SECTION("with --model, a model the upstream does not serve is replaced") {
    ProxyUnderTest p({.models = {{"fake-model", true}, {"other", true}}},
                     [](proxy::ProxyOptions& o) { o.model_forced = true; });
    p.client().Post("/v1/chat/completions", chat_body("x", false, "gpt-4o"), "application/json");
    CHECK(p.fake.requests().back()["body"]["model"] == "fake-model");
    p.client().Post("/v1/chat/completions", chat_body("x", false, "other"), "application/json");
    CHECK(p.fake.requests().back()["body"]["model"] == "other");
  }
}

TEST_CASE("other request fields pass through untouched", "[proxy]") {
  ProxyUnderTest p;
  json body = json::parse(chat_body("x", false));
  body["temperature"] = 0.3;
  body["top_k"] = 7;
  body["response_format"] = {{"type", "json_object"}};
  body["tools"] = json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
  p.client().Post("/v1/chat/completions", body.dump(), "application/json");
  json seen = p.fake.requests().back()["body"];
  CHECK(seen["temperature"] == 0.3);
  CHECK(seen["top_k"] == 7);
  CHECK(seen["response_format"] == body["response_format"]);
  CHECK(seen["tools"] == body["tools"]);
  CHECK(seen["messages"] == body["messages"]);  // no skills.yaml: nothing injected
}

TEST_CASE("models, embeddings and completions are relayed without injection", "[proxy]") {
  ProxyUnderTest p({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
  auto models = p.client().Get("/v1/models");
  REQUIRE(models);
  CHECK(models->status == 200);
  CHECK(json::parse(models->body)["data"][0]["id"] == "llama3:latest");

  auto emb = p.client().Post("/v1/embeddings", R"({"model":"llama3:latest","input":"hi"})", "application/json");
  REQUIRE(emb);
  CHECK(emb->status == 200);
  CHECK(json::parse(emb->body)["data"][0]["embedding"].size() == 3);

  auto comp = p.client().Post("/v1/completions", R"({"model":"llama3:latest","prompt":"Once"})", "application/json");
  REQUIRE(comp);
  CHECK(comp->status == 200);
  CHECK(json::parse(comp->body)["object"] == "text_completion");
  CHECK(p.fake.requests().back()["body"]["prompt"] == "Once");
}

TEST_CASE("/health reports the proxy and its upstream", "[proxy]") {
  ProxyUnderTest p;
  auto res = p.client().Get("/health");
  REQUIRE(res);
  CHECK(res->status == 200);
  json h = json::parse(res->body);
  CHECK(h["service"] == "autoswarm");
  CHECK(h["upstream_reachable"] == true);
  CHECK(h["model"] == "fake-model");
  CHECK(h["skills"] == 0);
  p.fake.stop();
  auto down = p.client().Get("/health");
  REQUIRE(down);
  CHECK(down->status == 503);
  CHECK(json::parse(down->body)["upstream_reachable"] == false);
}

TEST_CASE("unknown endpoints get an OpenAI-style 404", "[proxy]") {
  ProxyUnderTest p;
  auto res = p.client().Get("/v1/assistants");
  REQUIRE(res);
  CHECK(res->status == 404);
  json err = json::parse(res->body);
  CHECK(err["error"]["type"] == "not_found_error");
  CHECK_THAT(err["error"]["message"].get<std::string>(), Catch::Contains("/v1/chat/completions"));
}
