// POST /v1/responses and POST /v1/messages in front of an upstream that serves them itself
// (vLLM, LM Studio, recent Ollama): the request passes through as the client sent it, with the
// model chosen and the skills in the protocol's own system field, the reply comes back as the
// upstream's bytes, and the log record is a translated exchange's. An upstream without the
// routes is found out once, and its requests are translated from then on.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

// A namespace of its own: the unity build puts this file beside others with helpers of the
// same names.
namespace passthrough_test {
namespace {

json responses_body(const std::string& text, bool stream) {
  return {{"model", "fake-model"}, {"instructions", "Be terse."}, {"input", text}, {"stream", stream},
          {"store", false}, {"max_output_tokens", 256}};
}

json messages_body(const std::string& text, bool stream) {
  return {{"model", "fake-model"}, {"max_tokens", 256}, {"stream", stream},
          {"system", json::array({{{"type", "text"}, {"text", "You are terse."}}})},
          {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
}

using Event = SseEvent;

// The client's body with the field the proxy changes replaced by what the upstream got.
json with_field(json body, const char* key, const json& value) {
  body[key] = value;
  return body;
}

std::string text_of(const std::vector<Event>& events, const char* delta_type) {
  std::string text;
  for (const Event& e : events) {
    if (e.type == "response.output_text.delta" && std::string(delta_type) == "responses") text += e.data["delta"];
    if (e.type == "content_block_delta" && e.data["delta"]["type"] == delta_type) text += e.data["delta"]["text"];
  }
  return text;
}

}  // namespace

TEST_CASE("a Responses request passes through to the upstream's /v1/responses with skills in its instructions",
          "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  const json body = responses_body("how do I list files?", false);
  auto res = p.client().Post("/v1/responses", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  const json reply = json::parse(res->body);
  CHECK(reply["id"].get<std::string>().rfind("resp_fake", 0) == 0);  // the upstream's, not the proxy's
  CHECK(reply["output"][0]["content"][0]["text"] == "echo: how do I list files?");

  REQUIRE(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/responses"});
  const json seen = upstream_posts(p.fake)[0]["body"];
  const std::string instructions = seen["instructions"];
  CHECK_THAT(instructions, Catch::StartsWith("Be terse.\n\n<autoswarm-skills>") &&
                               Catch::Contains("Give shell commands in a fenced code block."));
  CHECK(seen == with_field(body, "instructions", instructions));  // everything else as the client sent it

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "responses");
  CHECK(logs[0]["stream"] == false);
  CHECK(logs[0]["status"] == 200);
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["messages"] == json::parse(R"([{"role":"system","content":"Be terse."},
                                                {"role":"user","content":"how do I list files?"}])"));
  CHECK(logs[0]["params"]["max_tokens"] == 256);
  CHECK(logs[0]["client_request"] == body);
  CHECK(logs[0]["reply"]["content"] == "echo: how do I list files?");
  CHECK(logs[0]["reply"]["finish_reason"] == "stop");
  CHECK(logs[0]["usage"]["completion_tokens"].get<int>() > 0);
}

TEST_CASE("a streamed Responses request is relayed as the upstream's own events", "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  p.fake.set_script(kListingWithToolCallScript);
  json body = responses_body("list", true);
  body.erase("instructions");
  body["tools"] = json::parse(R"([{"type":"function","name":"run_shell","parameters":{"type":"object"}}])");
  auto res = p.client().Post("/v1/responses", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/event-stream");
  const std::vector<Event> events = sse_events(res->body);
  REQUIRE(events.size() > 4);
  CHECK(events.front().type == "response.created");
  CHECK(events.back().type == "response.completed");
  CHECK(events.back().data["response"]["id"].get<std::string>().rfind("resp_fake", 0) == 0);
  CHECK(text_of(events, "responses") == "Listing.");

  REQUIRE(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/responses"});
  const json seen = upstream_posts(p.fake)[0]["body"];
  // No instructions of its own: the skill block is the whole of them.
  CHECK_THAT(seen["instructions"].get<std::string>(), Catch::StartsWith("<autoswarm-skills>"));
  CHECK(seen == with_field(body, "instructions", seen["instructions"]));

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "responses");
  CHECK(logs[0]["stream"] == true);
  CHECK(logs[0]["error"].is_null());
  CHECK(logs[0]["reply"]["content"] == "Listing.");
  REQUIRE(logs[0]["reply"]["tool_calls"].size() == 1);
  CHECK(logs[0]["reply"]["tool_calls"][0]["function"]["name"] == "run_shell");
  CHECK(json::parse(logs[0]["reply"]["tool_calls"][0]["function"]["arguments"].get<std::string>()) ==
        json{{"command", "ls -la"}});
  CHECK(logs[0]["reply"]["finish_reason"] == "tool_calls");
  CHECK(logs[0]["usage"]["prompt_tokens"].get<int>() > 0);
  CHECK(logs[0]["tools"][0]["function"]["name"] == "run_shell");
}

TEST_CASE("a Messages request passes through with skills as one more system block and Anthropic's headers",
          "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  const json body = messages_body("how do I list files?", false);
  auto res = p.client().Post("/v1/messages?beta=true",
                             {{"anthropic-version", "2023-06-01"}, {"anthropic-beta", "fine-grained-tool-streaming-2025-05-14"}},
                             body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const json reply = json::parse(res->body);
  CHECK(reply["id"].get<std::string>().rfind("msg_fake", 0) == 0);
  CHECK(reply["content"] == json::parse(R"([{"type":"text","text":"echo: how do I list files?"}])"));

  REQUIRE(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/messages"});
  const json seen = upstream_posts(p.fake)[0];
  CHECK(seen["headers"]["anthropic-version"] == "2023-06-01");
  CHECK(seen["headers"]["anthropic-beta"] == "fine-grained-tool-streaming-2025-05-14");
  const json system = seen["body"]["system"];
  REQUIRE(system.size() == 2);
  CHECK(system[0] == body["system"][0]);
  CHECK(system[1]["type"] == "text");
  CHECK_THAT(system[1]["text"].get<std::string>(), Catch::StartsWith("<autoswarm-skills>"));
  CHECK(seen["body"] == with_field(body, "system", system));

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "messages");
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["messages"][0] == json{{"role", "system"}, {"content", "You are terse."}});
  CHECK(logs[0]["client_request"] == body);
  CHECK(logs[0]["reply"]["content"] == "echo: how do I list files?");
}

TEST_CASE("a streamed Messages request is relayed byte for byte, and its tool call logged", "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  p.fake.set_script(R"(
rules:
  - reply:
      content: "Listing."
      tool_calls: [{name: run_shell, arguments: {command: "ls -la"}, id: toolu_7}]
    stream: {chunk_size: 3}
)");
  json body = messages_body("list", true);
  body["system"] = "You are terse.";
  body["tools"] = json::parse(R"([{"name":"run_shell","description":"Run","input_schema":{"type":"object"}}])");
  auto res = p.client().Post("/v1/messages", {{"anthropic-beta", "a"}, {"anthropic-beta", "b"}}, body.dump(),
                             "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const std::vector<Event> events = sse_events(res->body);
  REQUIRE(events.size() >= 6);
  CHECK(events.front().type == "message_start");
  CHECK(events.front().data["message"]["id"].get<std::string>().rfind("msg_fake", 0) == 0);
  CHECK(events.back().type == "message_stop");
  CHECK(text_of(events, "text_delta") == "Listing.");

  // The same request straight to the upstream streams the same events, but for ids and times.
  httplib::Client direct("127.0.0.1", p.fake.port());
  auto straight = direct.Post("/v1/messages", body.dump(), "application/json");
  REQUIRE(straight);
  const std::vector<Event> expected = sse_events(straight->body);
  REQUIRE(expected.size() == events.size());
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].type == expected[i].type);

  const json seen = upstream_posts(p.fake)[0];
  CHECK(seen["path"] == "/v1/messages");
  CHECK(seen["headers"]["anthropic-beta"] == "a,b");
  CHECK(seen["body"]["system"] == "You are terse.");  // no skills: none in the book

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["stream"] == true);
  CHECK(logs[0]["reply"]["content"] == "Listing.");
  CHECK(logs[0]["reply"]["tool_calls"][0]["id"] == "toolu_7");
  CHECK(logs[0]["reply"]["finish_reason"] == "tool_calls");
  CHECK(logs[0]["usage"]["completion_tokens"].get<int>() > 0);
}

TEST_CASE("an upstream without the native routes is probed once, then its requests are translated",
          "[proxy][passthrough]") {
  const bool stream = GENERATE(false, true);
  const bool messages = GENERATE(false, true);
  INFO("stream " << stream << ", messages " << messages);
  const auto flavor = GENERATE(Flavor::kOpenAI, Flavor::kOllama, Flavor::kVllm, Flavor::kLmStudio);
  ProxyUnderTest p({.flavor = flavor});
  const std::string path = messages ? "/v1/messages" : "/v1/responses";
  const json body = messages ? messages_body("hi", stream) : responses_body("hi", stream);
  for (int i = 0; i < 2; ++i) {
    auto res = p.client().Post(path, body.dump(), "application/json");
    REQUIRE(res);
    INFO(res->body);
    CHECK(res->status == 200);
  }
  // The first found the route missing (a 404 in the flavor's style) and was translated; the
  // second went straight to chat completions.
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{path, "/v1/chat/completions", "/v1/chat/completions"});
  auto logs = p.logs(2);
  REQUIRE(logs.size() == 2);
  for (const json& log : logs) {
    CHECK(log["protocol"] == (messages ? "messages" : "responses"));
    CHECK(log["reply"]["content"] == "echo: hi");
  }
}

TEST_CASE("an upstream found without the routes is asked again after the re-probe interval", "[proxy][passthrough]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.native_reprobe_interval = std::chrono::milliseconds(300); });
  auto post = [&] {
    auto res = p.client().Post("/v1/responses", responses_body("hi", false).dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
  };
  post();
  post();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  post();
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/responses", "/v1/chat/completions", "/v1/chat/completions",
                                                  "/v1/responses", "/v1/chat/completions"});
}

TEST_CASE("a 404 that names the model is the upstream's answer, not a missing route", "[proxy][passthrough]") {
  const bool stream = GENERATE(false, true);
  ProxyUnderTest p({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}, .native_apis = true});
  json body = messages_body("x", stream);
  body["model"] = "llama3.2";
  for (int i = 0; i < 2; ++i) {
    auto res = p.client().Post("/v1/messages", body.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 404);
    const json error = json::parse(res->body);
    CHECK(error["type"] == "error");
    CHECK(error["error"]["type"] == "not_found_error");
    CHECK_THAT(error["error"]["message"].get<std::string>(), Catch::Contains("llama3.2"));
  }
  // Both went to the native route: the route exists, the model does not.
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/messages", "/v1/messages"});
  auto logs = p.logs(2);
  REQUIRE(logs.size() == 2);
  CHECK(logs[0]["status"] == 404);
}

TEST_CASE("a passed-through request's upstream error reaches the client in its protocol, with Retry-After",
          "[proxy][passthrough]") {
  const bool stream = GENERATE(false, true);
  ProxyUnderTest p({.native_apis = true});
  p.fake.set_script("rules:\n  - fault: {status: 503, retry_after: '1'}\n");
  auto res = p.client().Post("/v1/messages", messages_body("x", stream).dump(), "application/json");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->get_header_value("Retry-After") == "1");
  CHECK(json::parse(res->body)["error"]["type"] == "overloaded_error");
  auto responses = p.client().Post("/v1/responses", responses_body("x", stream).dump(), "application/json");
  REQUIRE(responses);
  CHECK(responses->status == 503);
  CHECK(error_of(responses)["message"] == "fake failure");
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/messages", "/v1/responses"});
}

TEST_CASE("a request the translation refuses still passes through, logged without messages", "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  json body = messages_body("search the web", false);
  body["tools"] = json::parse(R"([{"type":"web_search_20250305","name":"web_search"}])");
  auto res = p.client().Post("/v1/messages", body.dump(), "application/json");
  REQUIRE(res);
  // The fake refuses it as the proxy would (it translates too); a real server may answer it.
  CHECK(res->status == 400);
  CHECK(upstream_post_paths(p.fake) == std::vector<std::string>{"/v1/messages"});
  CHECK(upstream_posts(p.fake)[0]["body"]["tools"] == body["tools"]);
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["messages"] == json::array());
  CHECK(logs[0]["client_request"] == body);
  CHECK(logs[0]["status"] == 400);
}

TEST_CASE("a passed-through stream cut by the upstream is cut for the client too, and logged so",
          "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  p.fake.set_script("rules:\n  - reply: {content: \"a long answer here\"}\n    stream: {chunk_size: 2}\n"
                    "    fault: {cut_after_events: 3}\n");
  httplib::Client c = p.client();
  auto res = c.Post("/v1/messages", messages_body("x", true).dump(), "application/json");
  // The client's stream ends as the upstream's did: without its last chunk.
  CHECK((!res || res->body.find("message_stop") == std::string::npos));
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK_THAT(logs[0]["error"].get<std::string>(), Catch::Contains("cut"));
  CHECK(logs[0]["reply"]["content"].get<std::string>().size() < std::string("a long answer here").size());
}

TEST_CASE("count_tokens and a stored response go to an upstream that serves the route, else are answered here",
          "[proxy][passthrough]") {
  ProxyUnderTest p({.native_apis = true});
  json count = messages_body(std::string(400, 'a'), false);
  count.erase("max_tokens");
  // Before the route is known served: estimated, nothing asked.
  auto before = p.client().Post("/v1/messages/count_tokens", count.dump(), "application/json");
  REQUIRE(before->status == 200);
  CHECK(upstream_post_paths(p.fake).empty());
  REQUIRE(p.client().Post("/v1/messages", messages_body("hi", false).dump(), "application/json")->status == 200);
  // Served: the upstream is asked first (the fake has no count_tokens: a 404, so estimated here).
  auto after = p.client().Post("/v1/messages/count_tokens", {{"anthropic-version", "2023-06-01"}}, count.dump(),
                               "application/json");
  REQUIRE(after->status == 200);
  CHECK(json::parse(after->body)["input_tokens"] == json::parse(before->body)["input_tokens"]);
  CHECK(upstream_post_paths(p.fake).back() == "/v1/messages/count_tokens");
  CHECK(upstream_posts(p.fake).back()["headers"]["anthropic-version"] == "2023-06-01");

  REQUIRE(p.client().Post("/v1/responses", responses_body("hi", false).dump(), "application/json")->status == 200);
  auto stored = p.client().Get("/v1/responses/resp_abc");
  CHECK(stored->status == 404);
  CHECK(p.fake.requests().back()["path"] == "/v1/responses/resp_abc");
}

}  // namespace passthrough_test
