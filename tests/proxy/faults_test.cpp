// Bad input and upstream faults each get an OpenAI-style error and leave the proxy serving;
// auth rules; many concurrent streams; a client that leaves cancels its upstream request.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>

#include "autoswarm/llm/sse_parser.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/loopback.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

const std::string kChat = R"({"messages":[{"role":"user","content":"hi"}]})";
const std::string kStream = R"({"stream":true,"messages":[{"role":"user","content":"hi"}]})";

void still_serving(ProxyUnderTest& p) {
  p.fake.set_script("");
  auto res = p.client().Post("/v1/chat/completions", kChat, "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
}

}  // namespace

TEST_CASE("malformed JSON is a 400", "[proxy][faults]") {
  ProxyUnderTest p;
  auto res = p.client().Post("/v1/chat/completions", "{\"messages\": [", "application/json");
  CHECK(res->status == 400);
  CHECK_THAT(error_of(res)["message"].get<std::string>(), Catch::Contains("not valid JSON"));
  for (const auto& r : p.fake.requests()) CHECK(r["path"] != "/v1/chat/completions");
  still_serving(p);
}

TEST_CASE("JSON nested 70,000 deep is a 400 on every JSON route, and the proxy keeps serving", "[proxy][faults]") {
  // This body used to crash the proxy (SIGSEGV in the JSON serializer, past the stack).
  const size_t depth = 70000;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  const std::string chat = R"({"messages":[{"role":"user","content":"x"},)" + nested + "]}";
  const std::string embed = R"({"input":)" + nested + "}";
  for (const auto& [path, body] : {std::pair{"/v1/chat/completions", chat}, std::pair{"/v1/embeddings", embed},
                                   std::pair{"/v1/completions", embed}}) {
    ProxyUnderTest p;
    auto res = p.client().Post(path, body, "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK_THAT(error_of(res)["message"].get<std::string>(), Catch::Contains("nested deeper than 256 levels"));
    for (const auto& r : p.fake.requests()) CHECK(r["path"] != path);
    still_serving(p);
  }
}

TEST_CASE("a body over --max-body is a 413", "[proxy][faults]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.max_body_bytes = 1024; });
  std::string big = R"({"messages":[{"role":"user","content":")" + std::string(4096, 'a') + "\"}]}";
  auto res = p.client().Post("/v1/chat/completions", big, "application/json");
  CHECK(res->status == 413);
  CHECK_THAT(error_of(res)["message"].get<std::string>(), Catch::Contains("--max-body"));
  still_serving(p);
}

TEST_CASE("an unreachable upstream is a 502 that names it and suggests doctor", "[proxy][faults]") {
  ProxyUnderTest p;
  std::string upstream = p.fake.url();
  p.fake.stop();
  for (const std::string& body : {kChat, kStream}) {
    auto res = p.client().Post("/v1/chat/completions", body, "application/json");
    CHECK(res->status == 502);
    std::string message = error_of(res)["message"];
    CHECK_THAT(message, Catch::Contains(upstream));
    CHECK_THAT(message, Catch::Contains("autoswarm doctor"));
  }
  auto logs = p.logs(2);
  REQUIRE(logs.size() == 2);
  CHECK(logs[0]["status"] == 502);
  CHECK_FALSE(logs[0]["error"].is_null());
}

TEST_CASE("an upstream timeout is a 504", "[proxy][faults]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.upstream_read_timeout = std::chrono::milliseconds(300); });
  p.fake.set_script("rules:\n  - times: 3\n    fault: {first_byte_delay_ms: 1500}\n");
  auto res = p.client().Post("/v1/chat/completions", kChat, "application/json");
  CHECK(res->status == 504);
  CHECK(error_of(res)["type"] == "upstream_timeout");
}

TEST_CASE("an upstream error status is passed on with its message", "[proxy][faults]") {
  auto stream = GENERATE(false, true);
  ProxyUnderTest p({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
  json body = json::parse(stream ? kStream : kChat);
  body["model"] = "llama3.2";
  auto res = p.client().Post("/v1/chat/completions", body.dump(), "application/json");
  CHECK(res->status == 404);
  CHECK_THAT(error_of(res)["message"].get<std::string>(), Catch::Contains("try pulling it first"));
  still_serving(p);
}

TEST_CASE("a stream cut upstream ends with an error event and [DONE]", "[proxy][faults]") {
  ProxyUnderTest p;
  p.fake.set_script(R"(
rules:
  - reply: {content: "abcdefghijklmnopqrstuvwxyz"}
    stream: {chunk_size: 2}
    fault: {cut_after_events: 4}
)");
  auto res = p.client().Post("/v1/chat/completions", kStream, "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  std::vector<std::string> events;
  llm::SseParser parser;
  parser.feed(res->body, [&](llm::SseEvent&& e) { events.push_back(e.data); });
  REQUIRE(events.size() == 6);  // 4 relayed, the error, [DONE]
  CHECK(json::parse(events[4])["error"]["type"] == "upstream_stream_error");
  CHECK(events[5] == "[DONE]");
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK_THAT(logs[0]["error"].get<std::string>(), Catch::Contains("cut"));
  CHECK_FALSE(logs[0]["reply"]["content"].get<std::string>().empty());
  still_serving(p);
}

TEST_CASE("a vLLM error event is relayed once, then [DONE]", "[proxy][faults]") {
  ProxyUnderTest p({.flavor = Flavor::kVllm});
  p.fake.set_script("rules:\n  - reply: {content: \"partial\"}\n    fault: {error_event_after: 2}\n");
  auto res = p.client().Post("/v1/chat/completions", kStream, "application/json");
  REQUIRE(res);
  int errors = 0;
  std::string last;
  llm::SseParser parser;
  parser.feed(res->body, [&](llm::SseEvent&& e) {
    last = e.data;
    if (e.data != "[DONE]" && json::parse(e.data).contains("error")) ++errors;
  });
  CHECK(errors == 1);
  CHECK(last == "[DONE]");
}

TEST_CASE("clients on loopback need no key, and a proxy key is enforced", "[proxy][auth]") {
  SECTION("no header, empty Bearer, any Bearer") {
    ProxyUnderTest p;
    for (const httplib::Headers& h : {httplib::Headers{}, httplib::Headers{{"Authorization", "Bearer "}},
                                      httplib::Headers{{"Authorization", "Bearer sk-anything"}}}) {
      auto res = p.client().Post("/v1/chat/completions", h, kChat, "application/json");
      CHECK(res->status == 200);
    }
  }
  SECTION("with --proxy-key") {
    ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.proxy_key = "let-me-in"; });
    auto none = p.client().Post("/v1/chat/completions", kChat, "application/json");
    CHECK(none->status == 401);
    CHECK(error_of(none)["type"] == "authentication_error");
    auto wrong = p.client().Post("/v1/chat/completions", {{"Authorization", "Bearer nope"}}, kChat, "application/json");
    CHECK(wrong->status == 401);
    auto right = p.client().Post("/v1/chat/completions", {{"Authorization", "Bearer let-me-in"}}, kChat,
                                 "application/json");
    CHECK(right->status == 200);
    CHECK_FALSE(p.fake.requests().back()["headers"].contains("Authorization"));
    // Anthropic's clients send the key as x-api-key; it is not forwarded either.
    auto anthropic_style = p.client().Post("/v1/chat/completions", {{"x-api-key", "let-me-in"}}, kChat,
                                           "application/json");
    CHECK(anthropic_style->status == 200);
    CHECK_FALSE(p.fake.requests().back()["headers"].contains("x-api-key"));
    auto wrong_x = p.client().Post("/v1/chat/completions", {{"x-api-key", "nope"}}, kChat, "application/json");
    CHECK(wrong_x->status == 401);
  }
}

TEST_CASE("listening beyond loopback requires a proxy key", "[proxy][auth]") {
  TempDir home;
  proxy::ProxyOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  o.upstream.url = llm::BaseUrl::parse("http://127.0.0.1:9");
  o.data_dir = home.path();
  REQUIRE_THROWS_AS(proxy::ProxyServer(o), UsageError);
  REQUIRE_THROWS_WITH(proxy::ProxyServer(o), Catch::Contains("--proxy-key"));
  CHECK(util::is_loopback_host("127.0.0.1"));
  CHECK(util::is_loopback_host("127.1.2.3"));
  CHECK(util::is_loopback_host("::1"));
  CHECK(util::is_loopback_host("localhost"));
  CHECK_FALSE(util::is_loopback_host("0.0.0.0"));
  CHECK_FALSE(util::is_loopback_host("192.168.1.10"));
}

TEST_CASE("64 concurrent streams are served side by side", "[proxy][concurrency]") {
  ProxyUnderTest p;
  // Each stream takes about 1.2 s upstream (24 chunks, 50 ms apart).
  p.fake.set_script(R"(
rules:
  - reply: {content: "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv"}
    stream: {chunk_size: 2}
    fault: {chunk_delay_ms: 50}
)");
  using Clock = std::chrono::steady_clock;
  constexpr int kClients = 64;
  std::vector<std::future<std::pair<Clock::time_point, Clock::time_point>>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::async(std::launch::async, [&] {
      httplib::Client c("127.0.0.1", p.server->port());
      c.set_read_timeout(30, 0);
      Clock::time_point first{};
      std::string body;
      httplib::Request req;
      req.method = "POST";
      req.path = "/v1/chat/completions";
      req.body = kStream;
      req.set_header("Content-Type", "application/json");
      req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
        if (first == Clock::time_point{}) first = Clock::now();
        body.append(d, n);
        return true;
      };
      auto res = c.send(req);
      CHECK(res);
      if (!res) WARN("client error: " << httplib::to_string(res.error()));
      CHECK(body.find("data: [DONE]") != std::string::npos);
      return std::make_pair(first, Clock::now());
    }));
  }
  Clock::time_point last_first{}, earliest_end = Clock::time_point::max();
  for (auto& f : clients) {
    auto [first, end] = f.get();
    last_first = std::max(last_first, first);
    earliest_end = std::min(earliest_end, end);
  }
  // Every client had its first byte before any stream finished: none waited for another.
  CHECK(last_first < earliest_end);
  CHECK(p.logs(kClients).size() == kClients);
}

TEST_CASE("a client that disconnects cancels the upstream stream", "[proxy][faults]") {
  ProxyUnderTest p;
  p.fake.set_script(R"(
rules:
  - reply: {content: "this answer is long and slow and nobody will read all of it"}
    stream: {chunk_size: 1}
    fault: {chunk_delay_ms: 40}
)");
  httplib::Client c("127.0.0.1", p.server->port());
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = kStream;
  req.set_header("Content-Type", "application/json");
  int received = 0;
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++received < 3; };
  auto started = std::chrono::steady_clock::now();
  c.send(req);
  auto logs = p.logs(1, 5000);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["client_disconnected"] == true);
  // The upstream stream (about 2.4 s) was abandoned early, not read to its end.
  CHECK(logs[0]["reply"]["content"].get<std::string>().size() < 40);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("a request with a wrongly typed field gets 400 naming it, and nothing is sent or logged",
          "[proxy][faults]") {
  ProxyUnderTest p;
  auto c = p.client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"messages":[{"role":5,"content":"x"},{"role":"user","content":"hi"}]})",
       "messages[0].role must be a string (got number)"},
      {R"({"messages":[{"role":"user","content":{"a":1}}]})",
       "messages[0].content must be a string, a list of parts or null (got object)"},
      {R"({"messages":[{"role":"user","content":[{"type":"text","text":7}]}]})",
       "messages[0].content[0].text must be a string (got number)"},
      {R"({"messages":["hi"]})", "messages[0] must be an object (got string)"},
      {R"({"stream":"yes","messages":[{"role":"user","content":"hi"}]})", "'stream' must be true or false (got string)"},
      {R"({"model":5,"messages":[{"role":"user","content":"hi"}]})", "'model' must be a string (got number)"},
      {R"({"stream_options":1,"messages":[{"role":"user","content":"hi"}]})",
       "'stream_options' must be an object (got number)"},
  };
  for (const auto& [body, message] : cases) {
    INFO(body);
    auto res = c.Post("/v1/chat/completions", body, "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(error_of(res)["message"] == message);
    CHECK(error_of(res)["type"] == "invalid_request_error");
  }
  size_t chats = 0;
  for (const auto& r : p.fake.requests()) chats += r["path"] == "/v1/chat/completions";
  CHECK(chats == 0);
  CHECK(p.logs(1, 300).empty());
}

TEST_CASE("a malformed non-streaming upstream reply is a 502 with an error body, not a relayed 200",
          "[proxy][faults]") {
  ProxyUnderTest p;
  p.fake.set_script("rules:\n  - fault: {malformed_json: true}\n");
  auto res = p.client().Post("/v1/chat/completions", kChat, "application/json");
  REQUIRE(res);
  CHECK(res->status == 502);
  CHECK(error_of(res)["type"] == "upstream_error");
  CHECK_THAT(error_of(res)["message"].get<std::string>(), Catch::StartsWith("the upstream's reply is not a chat completion"));
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["status"] == 502);
  still_serving(p);
}

TEST_CASE("an upstream 429 reaches the client with its Retry-After and error code, sent once", "[proxy][faults]") {
  ProxyUnderTest p;
  p.fake.set_script(R"(rules:
  - fault:
      status: 429
      retry_after: '7'
      body: '{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}'
)");
  auto res = p.client().Post("/v1/chat/completions", kChat, "application/json");
  REQUIRE(res);
  CHECK(res->status == 429);
  CHECK(res->get_header_value("Retry-After") == "7");
  CHECK(error_of(res)["message"] == "slow down");
  CHECK(error_of(res)["type"] == "rate_limit_error");
  CHECK(error_of(res)["code"] == "rate_limit_exceeded");
  size_t chats = 0;
  for (const auto& r : p.fake.requests()) chats += r["path"] == "/v1/chat/completions";
  CHECK(chats == 1);
}

TEST_CASE("a non-streaming reply cut mid-body is a 502 and is not sent upstream again", "[proxy][faults]") {
  ProxyUnderTest p;
  p.fake.set_script("rules:\n  - fault: {cut_body: true}\n");
  auto res = p.client().Post("/v1/chat/completions", kChat, "application/json");
  REQUIRE(res);
  CHECK(res->status == 502);
  size_t chats = 0;
  for (const auto& r : p.fake.requests()) chats += r["path"] == "/v1/chat/completions";
  CHECK(chats == 1);
}
