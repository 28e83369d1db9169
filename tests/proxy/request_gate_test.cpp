// Requests a web page could make on the user's behalf: foreign origins, rebinding host names,
// non-JSON bodies. None may reach the upstream or the conversation log.
#include <catch2/catch.hpp>

#include "proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;

namespace {
const char* kGateChat = R"({"model":"fake-model","messages":[{"role":"user","content":"hi"}]})";

// Chat requests the fake upstream received (the proxy lists models on start).
size_t chats_upstream(const FakeUpstream& fake) {
  size_t n = 0;
  for (const auto& r : fake.requests()) n += r.value("path", "") == "/v1/chat/completions";
  return n;
}
}  // namespace

TEST_CASE("a text/plain POST from a foreign web page is refused and never reaches the upstream or the log",
          "[proxy][gate]") {
  ProxyUnderTest p;
  auto c = p.client();
  auto res = c.Post("/v1/chat/completions", {{"Origin", "https://evil.example"}}, kGateChat, "text/plain");
  REQUIRE(res);
  CHECK(res->status == 403);
  CHECK(error_of(res)["type"] == "forbidden_origin");
  CHECK(error_of(res)["message"].get<std::string>().find("--cors-origin https://evil.example") != std::string::npos);
  CHECK_FALSE(res->has_header("Access-Control-Allow-Origin"));
  CHECK(chats_upstream(p.fake) == 0);
  CHECK(p.logs(1, 300).empty());
}

TEST_CASE("a POST that is not JSON gets 415 naming the header to send, also for a large form body",
          "[proxy][gate]") {
  ProxyUnderTest p;
  auto c = p.client();
  auto plain = c.Post("/v1/chat/completions", kGateChat, "text/plain");
  REQUIRE(plain);
  CHECK(plain->status == 415);
  CHECK(error_of(plain)["type"] == "unsupported_media_type");
  CHECK(error_of(plain)["message"] ==
        "/v1/chat/completions takes a JSON body: send 'Content-Type: application/json' (got 'text/plain'); "
        "with curl, add -H 'Content-Type: application/json'");
  // curl -d sends form encoding; over 8 KiB httplib used to answer 413 "raise --max-body".
  auto form = c.Post("/v1/chat/completions", std::string(20000, 'a'), "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 415);
  auto json_charset = c.Post("/v1/chat/completions", kGateChat, "application/json; charset=utf-8");
  REQUIRE(json_charset);
  CHECK(json_charset->status == 200);
  CHECK(chats_upstream(p.fake) == 1);
}

TEST_CASE("a Host that is not the proxy's is refused (DNS rebinding) unless a proxy key is required",
          "[proxy][gate]") {
  {
    ProxyUnderTest p;
    auto c = p.client();
    auto res = c.Get("/v1/models", {{"Host", "rebind.attacker.example:8080"}});
    REQUIRE(res);
    CHECK(res->status == 403);
    CHECK(error_of(res)["type"] == "forbidden_host");
    for (const char* host : {"localhost:8080", "127.0.0.1", "[::1]:8080", "127.1.2.3:1"}) {
      auto ok = c.Get("/v1/models", {{"Host", host}});
      REQUIRE(ok);
      CHECK(ok->status == 200);
    }
  }
  ProxyUnderTest keyed({}, [](proxy::ProxyOptions& o) { o.proxy_key = "k3y"; });
  auto c = keyed.client();
  auto res = c.Get("/v1/models", {{"Host", "proxy.lan:8080"}, {"Authorization", "Bearer k3y"}});
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("browser pages on loopback and named with --cors-origin get CORS answers, others none",
          "[proxy][gate]") {
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.cors_origins = {"http://myapp.test:3000"}; });
  auto c = p.client();
  httplib::Headers ask = {{"Origin", "http://localhost:5173"},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers", "authorization, content-type"}};
  auto pre = c.Options("/v1/chat/completions", ask);
  REQUIRE(pre);
  CHECK(pre->status == 204);
  CHECK(pre->get_header_value("Access-Control-Allow-Origin") == "http://localhost:5173");
  CHECK(pre->get_header_value("Access-Control-Allow-Headers") == "authorization, content-type");
  CHECK(pre->get_header_value("Access-Control-Allow-Methods").find("POST") != std::string::npos);

  auto named = c.Post("/v1/chat/completions", {{"Origin", "http://myapp.test:3000"}}, kGateChat, "application/json");
  REQUIRE(named);
  CHECK(named->status == 200);
  CHECK(named->get_header_value("Access-Control-Allow-Origin") == "http://myapp.test:3000");

  auto foreign = c.Options("/v1/chat/completions", {{"Origin", "http://myapp.test:3001"}});
  REQUIRE(foreign);
  CHECK(foreign->status == 403);
  CHECK_FALSE(foreign->has_header("Access-Control-Allow-Origin"));
  auto null_origin = c.Get("/v1/models", {{"Origin", "null"}});
  REQUIRE(null_origin);
  CHECK(null_origin->status == 403);
}

TEST_CASE("a CORS origin of '*' without --proxy-key, or a value that is not an origin, is a usage error",
          "[proxy][gate]") {
  auto start = [](std::vector<std::string> origins, std::string key) {
    ProxyUnderTest p({}, [&](proxy::ProxyOptions& o) {
      o.cors_origins = origins;
      o.proxy_key = key;
    });
  };
  CHECK_THROWS_WITH(start({"*"}, ""), Catch::Contains("needs --proxy-key"));
  CHECK_THROWS_WITH(start({"localhost:3000"}, ""), Catch::Contains("is not an origin"));
  CHECK_THROWS_WITH(start({"http://a.test/app"}, ""), Catch::Contains("is not an origin"));
  CHECK_NOTHROW(start({"*"}, "k"));
}

TEST_CASE("a refused POST closes its connection, so its unread body is never read as a request",
          "[proxy][gate]") {
  ProxyUnderTest p;
  httplib::Client c("127.0.0.1", p.server->port());
  c.set_keep_alive(true);
  std::string body = std::string("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  auto res = c.Post("/v1/chat/completions", body, "text/plain");
  REQUIRE(res);
  CHECK(res->status == 415);
  CHECK(res->get_header_value("Connection") == "close");
  auto next = c.Get("/health");
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(chats_upstream(p.fake) == 0);
}
