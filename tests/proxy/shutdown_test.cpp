// Stopping the proxy: a stream in flight gets the grace period (ProxyOptions::shutdown_grace)
// to finish, counted from stop(); one still running when it ends is cut, and run() returns.
#include <catch2/catch.hpp>

#include <future>
#include <sstream>

#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

const std::string kStreamRequest = R"({"stream":true,"messages":[{"role":"user","content":"hi"}]})";

// One streamed request on its own thread; `first_event` is ready once bytes arrived.
struct StreamingClient {
  explicit StreamingClient(int port) {
    std::future<void> first = first_event_.get_future();
    thread = std::thread([this, port] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(20, 0);
      httplib::Request req;
      req.method = "POST";
      req.path = "/v1/chat/completions";
      req.body = kStreamRequest;
      req.set_header("Content-Type", "application/json");
      req.content_receiver = [this](const char* d, size_t n, uint64_t, uint64_t) {
        body.append(d, n);
        if (!signalled) {
          signalled = true;
          first_event_.set_value();
        }
        return true;
      };
      c.send(req);
      if (!signalled) first_event_.set_value();
    });
    started = first.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  }
  ~StreamingClient() {
    if (thread.joinable()) thread.join();
  }
  // Waits for the response to end; the text of its content deltas.
  std::string finish() {
    thread.join();
    std::string text;
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("data: {")) continue;
      json chunk = json::parse(line.substr(6));
      if (chunk.contains("choices") && !chunk["choices"].empty()) {
        text += chunk["choices"][0]["delta"].value("content", "");
      }
    }
    return text;
  }

  std::promise<void> first_event_;
  bool signalled = false;
  bool started = false;
  std::string body;
  std::thread thread;
};

}  // namespace

TEST_CASE("stop lets a stream that ends within the grace period finish", "[proxy][shutdown]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.shutdown_grace = std::chrono::seconds(10); });
  p.fake.set_script(R"(
rules:
  - reply: {content: "slow but complete"}
    stream: {chunk_size: 1}
    fault: {chunk_delay_ms: 20}
)");
  StreamingClient client(p.server->port());
  REQUIRE(client.started);
  p.server->stop();
  CHECK(client.finish() == "slow but complete");
  CHECK_THAT(client.body, Catch::EndsWith("data: [DONE]\n\n"));
}

TEST_CASE("stop cuts a stream still running when the grace period ends", "[proxy][shutdown]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.shutdown_grace = std::chrono::milliseconds(300); });
  // About 6 s upstream: 60 one-character chunks, 100 ms apart.
  const std::string content(60, 'x');
  p.fake.set_script(R"(
rules:
  - reply: {content: ")" + content + R"("}
    stream: {chunk_size: 1}
    fault: {chunk_delay_ms: 100}
)");
  StreamingClient client(p.server->port());
  REQUIRE(client.started);
  p.server->stop();
  const std::string received = client.finish();
  CHECK(received.size() < content.size());
  CHECK_THAT(client.body, Catch::EndsWith("data: [DONE]\n\n"));
  // The conversation is logged with what was relayed.
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["reply"]["content"].get<std::string>().size() < content.size());
}
