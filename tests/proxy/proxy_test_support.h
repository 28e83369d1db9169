// A running proxy in front of a fake upstream, for the proxy tests: both on loopback ports,
// the proxy's data directory a fresh temp dir.
#pragma once

#include <httplib.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <thread>

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

  // The conversation logs written so far (the writer is asynchronous: wait for `count`).
  std::vector<nlohmann::json> logs(size_t count, int wait_ms = 3000) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
      std::vector<nlohmann::json> out;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(home / "conversations", ec)) {
        if (e.path().extension() == ".json") {
          std::ifstream in(e.path());
          out.push_back(nlohmann::json::parse(in));
        }
      }
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

}  // namespace autoswarm::testing
