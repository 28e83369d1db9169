// A running proxy in front of a fake upstream, for the proxy tests: both on loopback ports,
// the proxy's data directory a fresh temp dir.
#pragma once

#include <httplib.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/proxy/proxy_server.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

namespace autoswarm::testing {

struct ProxyUnderTest {
  explicit ProxyUnderTest(FakeUpstreamOptions fake_options = {},
                          std::function<void(proxy::ProxyOptions&)> tweak = nullptr)
      : fake(fake_options) {
    proxy::ProxyOptions o;
    o.port = 0;
    o.upstream.kind = llm::ServerKind::kCustom;
    o.upstream.url = llm::BaseUrl::parse(fake.url());
    o.upstream.model = fake_options.models.empty() ? "fake-model" : fake_options.models[0].id;
    o.data_dir = home.path();
    o.shutdown_grace = std::chrono::milliseconds(1000);
    if (tweak) tweak(o);
    server = std::make_unique<proxy::ProxyServer>(o);
    thread = std::thread([this] { server->run(); });
  }
  ~ProxyUnderTest() { stop(); }

  // Stops the proxy and waits for run() to return, which is after the conversation log was
  // flushed: the logs on disk are then all there will be.
  void stop() {
    server->stop();
    if (thread.joinable()) thread.join();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(20, 0);
    return c;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  // The conversation records written so far, read as reflect reads them, by id (the writer is
  // asynchronous: wait for `count`).
  std::vector<nlohmann::json> logs(size_t count, int wait_ms = 3000) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
      std::vector<nlohmann::json> out;
      conversations::for_each_record(home / "conversations",
                                     [&](conversations::LoggedRecord& r) { out.push_back(std::move(r.record)); });
      if (out.size() >= count || std::chrono::steady_clock::now() > deadline) {
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a["id"] < b["id"]; });
        return out;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  TempDir home;
  FakeUpstream fake;
  std::unique_ptr<proxy::ProxyServer> server;
  std::thread thread;
};

// The "error" object of an OpenAI-style error reply.
inline nlohmann::json error_of(const httplib::Result& res) {
  REQUIRE(res);
  nlohmann::json j = nlohmann::json::parse(res->body);
  REQUIRE(j.contains("error"));
  return j["error"];
}

// One skill, as skills.yaml holds it and as the proxy injects it (for the protocol tests). It is
// `always: true`, so every request gets it whatever it asks: these tests are about where the
// block goes, tests/proxy/injection_test.cpp about which skills are chosen.
inline constexpr const char* kOneSkillYaml = R"(version: 1
skills:
  - id: sk-0001
    text: "Give shell commands in a fenced code block."
    created: 2026-11-29T10:00:00Z
    always: true
)";
inline const std::string kOneSkillBlock =
    "<autoswarm-skills>\nLessons learned from earlier conversations. Apply them when relevant:\n"
    "- Give shell commands in a fenced code block.\n"
    "</autoswarm-skills>";

// A fake script: the reply "Listing." and one run_shell call (id call_7, {"command":"ls -la"}),
// streamed 3 characters a chunk, for the tests of a reply with text and a tool call.
inline constexpr const char* kListingWithToolCallScript = R"(
rules:
  - reply:
      content: "Listing."
      tool_calls: [{name: run_shell, arguments: {command: "ls -la"}, id: call_7}]
    stream: {chunk_size: 3}
)";

// One named SSE event (Responses and Messages streams): "event: <type>\ndata: <json>\n\n".
struct SseEvent {
  std::string type;
  nlohmann::json data;
};

// The named events of a stream body, each required to be whole and its data JSON.
inline std::vector<SseEvent> sse_events(const std::string& body) {
  std::vector<SseEvent> out;
  size_t pos = 0;
  while ((pos = body.find("event: ", pos)) != std::string::npos) {
    const size_t nl = body.find('\n', pos);
    const size_t data_end = body.find("\n\n", nl);
    REQUIRE(data_end != std::string::npos);
    REQUIRE(body.compare(nl + 1, 6, "data: ") == 0);
    out.push_back({body.substr(pos + 7, nl - pos - 7), nlohmann::json::parse(body.substr(nl + 7, data_end - nl - 7))});
    pos = data_end;
  }
  return out;
}

// The POSTs the upstream got, in order (the proxy also lists its models when it starts), and
// their paths: what a pass-through test asserts about where requests went.
inline std::vector<nlohmann::json> upstream_posts(const FakeUpstream& fake) {
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& r : fake.requests()) {
    if (r["method"] == "POST") out.push_back(r);
  }
  return out;
}
inline std::vector<std::string> upstream_post_paths(const FakeUpstream& fake) {
  std::vector<std::string> out;
  for (const nlohmann::json& r : upstream_posts(fake)) out.push_back(r["path"]);
  return out;
}

}  // namespace autoswarm::testing
