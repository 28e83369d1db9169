// Every chat completion becomes one line of a private segment file; secrets never reach it.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {
const std::string kBody = R"({"model":"fake-model","messages":[{"role":"user","content":"what is 2+2?"}]})";
}

TEST_CASE("a chat completion is logged as one line of a 0600 segment file", "[proxy][log]") {
  ProxyUnderTest p({.api_key = "sk-upstream-secret"},
                   [](proxy::ProxyOptions& o) { o.upstream.key = "sk-upstream-secret"; });
  p.fake.set_script("rules:\n  - reply: {content: \"4\", usage: {prompt_tokens: 9, completion_tokens: 1}}\n");
  auto res = p.client().Post("/v1/chat/completions", {{"Authorization", "Bearer sk-client-secret"}}, kBody,
                             "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  const json& log = logs[0];
  CHECK(log["messages"][0]["content"] == "what is 2+2?");
  CHECK(log["reply"]["content"] == "4");
  CHECK(log["reply"]["finish_reason"] == "stop");
  CHECK(log["usage"]["prompt_tokens"] == 9);
  CHECK(log["status"] == 200);
  CHECK(log["error"].is_null());
  CHECK(log["client_disconnected"] == false);
  CHECK(log["model"] == "fake-model");
  CHECK(log["protocol"] == "chat");
  CHECK_FALSE(log.contains("client_request"));  // the messages above are the request as it came
  CHECK(log["latency_ms"].get<double>() >= 0);
  CHECK(log["upstream"] == p.fake.url() + "/v1");

  // The record is a line of today's segment, the only file in conversations/.
  const auto segments = conversations::list_segments(p.home / "conversations");
  REQUIRE(segments.size() == 1);
  auto file = p.home / "conversations" / segments[0].file_name();
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((p.home / "conversations").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  std::string text = util::read_file(file);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(text.find("sk-client-secret") == std::string::npos);
  CHECK(text.find("sk-upstream-secret") == std::string::npos);
  CHECK(text.find("Authorization") == std::string::npos);
  // The client's key never goes upstream; the upstream gets only the configured one.
  CHECK(p.fake.requests().back()["headers"]["Authorization"] == "Bearer sk-upstream-secret");
}

TEST_CASE("X-Autoswarm-No-Log: 1 skips the log for one request", "[proxy][log]") {
  ProxyUnderTest p;
  p.client().Post("/v1/chat/completions", {{"X-Autoswarm-No-Log", "1"}}, kBody, "application/json");
  p.client().Post("/v1/chat/completions", kBody, "application/json");
  p.stop();
  CHECK(p.logs(2, 0).size() == 1);
}

TEST_CASE("with logging off no conversation is written", "[proxy][log]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.log_conversations = false; });
  auto res = p.client().Post("/v1/chat/completions", kBody, "application/json");
  REQUIRE(res->status == 200);
  p.stop();
  CHECK(p.logs(1, 0).empty());
}

TEST_CASE("a client's Authorization header is never forwarded upstream", "[proxy][log]") {
  ProxyUnderTest p;
  p.client().Post("/v1/chat/completions", {{"Authorization", "Bearer sk-client"}}, kBody, "application/json");
  CHECK_FALSE(p.fake.requests().back()["headers"].contains("Authorization"));
}
