// What the proxy holds for one exchange is bounded whatever the upstream sends: a streamed
// reply is relayed whole while the log keeps its start and counts the rest, and a
// non-streaming reply past --max-upstream-reply is a 502 read no further.
#include <catch2/catch.hpp>

#include "autoswarm/llm/sse_parser.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

const std::string kWholeChat = R"({"messages":[{"role":"user","content":"hi"}]})";
const std::string kStreamChat = R"({"stream":true,"messages":[{"role":"user","content":"hi"}]})";

std::string huge_script(size_t bytes) {
  return "rules:\n  - fault: {huge_content_bytes: " + std::to_string(bytes) + "}\n";
}

// The content a client reassembles from the proxy's stream, and whether it ended in [DONE].
std::pair<std::string, bool> read_stream(const std::string& body) {
  std::string content;
  bool done = false;
  llm::SseParser parser;
  auto on_event = [&](llm::SseEvent&& e) {
    if (e.data == "[DONE]") {
      done = true;
      return;
    }
    json chunk = json::parse(e.data);
    for (const auto& choice : chunk["choices"]) {
      if (choice["delta"].contains("content") && choice["delta"]["content"].is_string()) {
        content += choice["delta"]["content"].get<std::string>();
      }
    }
  };
  parser.feed(body, on_event);
  parser.finish(on_event);
  return {content, done};
}

}  // namespace

TEST_CASE("a streamed reply larger than --max-log-reply reaches the client whole and is logged cut",
          "[proxy][limits]") {
  constexpr size_t kReply = 8 * 1024 * 1024 + 123;
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.max_log_reply_bytes = 64 * 1024; });
  p.fake.set_script(huge_script(kReply));
  auto res = p.client().Post("/v1/chat/completions", kStreamChat, "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto [content, done] = read_stream(res->body);
  CHECK(done);
  CHECK(content.size() == kReply);
  CHECK(content.find_first_not_of('x') == std::string::npos);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["reply"]["content"].get<std::string>().size() == 64 * 1024);
  CHECK(logs[0]["reply"]["cut_bytes"] == kReply - 64 * 1024);
  CHECK(logs[0]["status"] == 200);
}

TEST_CASE("a non-streaming reply under --max-upstream-reply is relayed whole and logged cut", "[proxy][limits]") {
  constexpr size_t kReply = 3 * 1024 * 1024;
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.max_log_reply_bytes = 1000; });
  p.fake.set_script(huge_script(kReply));
  auto res = p.client().Post("/v1/chat/completions", kWholeChat, "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  json body = json::parse(res->body);
  CHECK(body["choices"][0]["message"]["content"].get<std::string>().size() == kReply);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["reply"]["content"].get<std::string>().size() == 1000);
  CHECK(logs[0]["reply"]["cut_bytes"] == kReply - 1000);
}

TEST_CASE("a non-streaming reply over --max-upstream-reply is a 502 naming the flag, and the proxy keeps serving",
          "[proxy][limits]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.max_upstream_reply_bytes = 1024 * 1024; });
  p.fake.set_script(huge_script(4 * 1024 * 1024));
  auto res = p.client().Post("/v1/chat/completions", kWholeChat, "application/json");
  REQUIRE(res);
  CHECK(res->status == 502);
  json error = error_of(res);
  CHECK(error["type"] == "upstream_reply_too_large");
  CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("1048576 bytes") && Catch::Contains("--max-upstream-reply"));
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["status"] == 502);

  p.fake.set_script("");
  auto again = p.client().Post("/v1/chat/completions", kWholeChat, "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("a plain relayed route over --max-upstream-reply is a 502 too", "[proxy][limits]") {
  // /v1/models is read through the same bounded client: a hostile upstream's endless listing
  // ends as an error, not as memory.
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.max_upstream_reply_bytes = 16; });
  auto res = p.client().Get("/v1/models");
  REQUIRE(res);
  CHECK(res->status == 502);
  CHECK(error_of(res)["type"] == "upstream_reply_too_large");
}
