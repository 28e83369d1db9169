// GET /health as a monitor sees it: ok, and degraded when chats cannot be logged.
#include <catch2/catch.hpp>

#include <fstream>

#include "proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;

TEST_CASE("/health says degraded and counts the records it could not log when conversations/ is unwritable",
          "[proxy][health]") {
  ProxyUnderTest p;
  auto c = p.client();
  auto ok = c.Get("/health");
  REQUIRE(ok);
  auto before = nlohmann::json::parse(ok->body);
  CHECK(before["status"] == "ok");
  CHECK(before["log"]["dropped"] == 0);
  CHECK(before["upstream"] == p.fake.url() + "/v1");  // asked from loopback

  // Root ignores permissions: put a file where the directory was.
  std::filesystem::remove_all(p.home / "conversations");
  { std::ofstream(p.home / "conversations") << "not a directory"; }
  auto chat = c.Post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}]})", "application/json");
  REQUIRE(chat);
  CHECK(chat->status == 200);  // the client is still answered

  nlohmann::json health;
  for (int i = 0; i < 150; ++i) {  // the writer is asynchronous: up to 3 s
    health = nlohmann::json::parse(c.Get("/health")->body);
    if (health["log"]["dropped"] != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(health["status"] == "degraded");
  CHECK(health["log"]["dropped"] == 1);
  CHECK_THAT(health["log"]["last_error"].get<std::string>(), Catch::Contains((p.home / "conversations").string()));
}
