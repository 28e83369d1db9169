// The per-request switches in every spelling a client sends, and the model a request goes to:
// --alias, GET /v1/models/{id}, and skills merged into a developer message.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

const std::string kListFiles = R"({"messages":[{"role":"user","content":"how do I list files?"}]})";

// Whether the upstream's last request carried the skill block.
bool skill_block_sent(ProxyUnderTest& p) {
  return p.fake.requests().back()["body"]["messages"].dump().find("autoswarm-skills") != std::string::npos;
}

}  // namespace

TEST_CASE("X-Autoswarm-Skills takes off, false, 0, no and none in any case to skip skills", "[proxy][switches]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  auto c = p.client();
  for (const char* off : {"off", "false", "0", "no", "none", "NONE", " Off "}) {
    INFO(off);
    auto res = c.Post("/v1/chat/completions", {{"X-Autoswarm-Skills", off}}, kListFiles, "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK_FALSE(skill_block_sent(p));
  }
  for (const char* on : {"on", "true", "1", "yes"}) {
    INFO(on);
    auto res = c.Post("/v1/chat/completions", {{"X-Autoswarm-Skills", on}}, kListFiles, "application/json");
    REQUIRE(res);
    CHECK(skill_block_sent(p));
  }
}

TEST_CASE("X-Autoswarm-No-Log takes 1, true, yes and on to keep an exchange out of the log", "[proxy][switches]") {
  ProxyUnderTest p;
  auto c = p.client();
  for (const char* skip : {"1", "true", "yes", "on", "TRUE"}) {
    REQUIRE(c.Post("/v1/chat/completions", {{"X-Autoswarm-No-Log", skip}}, kListFiles, "application/json")->status == 200);
  }
  REQUIRE(c.Post("/v1/chat/completions", {{"X-Autoswarm-No-Log", "0"}}, kListFiles, "application/json")->status == 200);
  REQUIRE(c.Post("/v1/chat/completions", {{"X-Autoswarm-No-Log", "false"}}, kListFiles, "application/json")->status == 200);
  p.stop();
  CHECK(p.logs(3, 0).size() == 2);
}

TEST_CASE("X-Autoswarm-Internal (AutoSwarm's own calls) gets no skills and is not logged", "[proxy][switches]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  auto c = p.client();
  REQUIRE(c.Post("/v1/chat/completions", {{"X-Autoswarm-Internal", "1"}}, kListFiles, "application/json")->status == 200);
  CHECK_FALSE(skill_block_sent(p));
  // The proxy's own relay is not an internal call: the upstream does not see the header.
  CHECK_FALSE(p.fake.requests().back()["headers"].contains("X-Autoswarm-Internal"));
  REQUIRE(c.Post("/v1/chat/completions", {{"X-Autoswarm-Internal", "0"}}, kListFiles, "application/json")->status == 200);
  CHECK(skill_block_sent(p));
  auto bad = c.Post("/v1/chat/completions", {{"X-Autoswarm-Internal", "maybe"}}, kListFiles, "application/json");
  CHECK(bad->status == 400);
  CHECK_THAT(error_of(bad)["message"].get<std::string>(), Catch::Contains("X-Autoswarm-Internal"));
  p.stop();
  CHECK(p.logs(2, 0).size() == 1);
}

TEST_CASE("a switch with a value it does not take is a 400 naming the header, and nothing goes upstream",
          "[proxy][switches]") {
  ProxyUnderTest p;
  auto c = p.client();
  auto res = c.Post("/v1/chat/completions", {{"X-Autoswarm-No-Log", "please"}}, kListFiles, "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK_THAT(error_of(res)["message"].get<std::string>(),
             Catch::Contains("X-Autoswarm-No-Log") && Catch::Contains("'please'") && Catch::Contains("1, true, yes or on"));
  auto skills = c.Post("/v1/chat/completions", {{"X-Autoswarm-Skills", "disabled"}}, kListFiles, "application/json");
  REQUIRE(skills);
  CHECK(skills->status == 400);
  CHECK_THAT(error_of(skills)["message"].get<std::string>(), Catch::Contains("X-Autoswarm-Skills"));
  for (const auto& r : p.fake.requests()) CHECK(r["path"] != "/v1/chat/completions");
  p.stop();
  CHECK(p.logs(1, 0).empty());
}

TEST_CASE("skills are merged into the first developer message, not put in front of it", "[proxy][skills]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  json body = {{"messages", json::array({{{"role", "developer"}, {"content", "Be brief."}},
                                         {{"role", "user"}, {"content", "how do I list files?"}}})}};
  auto res = p.client().Post("/v1/chat/completions", body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  json seen = p.fake.requests().back()["body"]["messages"];
  REQUIRE(seen.size() == 2);
  CHECK(seen[0]["role"] == "developer");
  CHECK_THAT(seen[0]["content"].get<std::string>(), Catch::StartsWith("Be brief.\n\n<autoswarm-skills>"));
}

TEST_CASE("an alias sends a hard-coded model name to the model it names, for chats and embeddings",
          "[proxy][models]") {
  ProxyUnderTest p({.models = {{"qwen2.5-coder:7b", true}, {"llama3:latest", true}}},
                   [](proxy::ProxyOptions& o) { o.model_aliases = {{"gpt-3.5-turbo", "qwen2.5-coder:7b"}}; });
  auto c = p.client();
  auto chat = c.Post("/v1/chat/completions",
                     R"({"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hi"}]})", "application/json");
  REQUIRE(chat);
  CHECK(chat->status == 200);
  CHECK(p.fake.requests().back()["body"]["model"] == "qwen2.5-coder:7b");
  auto embed = c.Post("/v1/embeddings", R"({"model":"gpt-3.5-turbo","input":"hi"})", "application/json");
  REQUIRE(embed);
  CHECK(p.fake.requests().back()["body"]["model"] == "qwen2.5-coder:7b");
  // A model the upstream serves passes unchanged.
  c.Post("/v1/chat/completions", R"({"model":"llama3:latest","messages":[{"role":"user","content":"hi"}]})",
         "application/json");
  CHECK(p.fake.requests().back()["body"]["model"] == "llama3:latest");

  auto list = c.Get("/v1/models");
  REQUIRE(list);
  REQUIRE(list->status == 200);
  INFO(list->body);
  std::vector<std::string> ids;
  const json listed = json::parse(list->body);
  for (const auto& m : listed["data"]) ids.push_back(m["id"]);
  CHECK(ids == std::vector<std::string>{"qwen2.5-coder:7b", "llama3:latest", "gpt-3.5-turbo"});
}

TEST_CASE("GET /v1/models/{id} answers a served model's entry, an alias's, or a 404 OpenAI error",
          "[proxy][models]") {
  ProxyUnderTest p({.models = {{"qwen2.5-coder:7b", true}}},
                   [](proxy::ProxyOptions& o) { o.model_aliases = {{"gpt-4o", "qwen2.5-coder:7b"}, {"gpt-5", "absent"}}; });
  auto c = p.client();
  auto served = c.Get("/v1/models/qwen2.5-coder:7b");
  REQUIRE(served);
  CHECK(served->status == 200);
  CHECK(json::parse(served->body)["id"] == "qwen2.5-coder:7b");
  CHECK(json::parse(served->body)["object"] == "model");

  auto alias = c.Get("/v1/models/gpt-4o");
  REQUIRE(alias);
  CHECK(alias->status == 200);
  CHECK(json::parse(alias->body)["id"] == "gpt-4o");

  auto missing = c.Get("/v1/models/llama3");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(error_of(missing)["code"] == "model_not_found");
  CHECK_THAT(error_of(missing)["message"].get<std::string>(),
             Catch::Contains("'llama3'") && Catch::Contains("GET /v1/models"));

  auto dangling = c.Get("/v1/models/gpt-5");
  REQUIRE(dangling);
  CHECK(dangling->status == 404);
  CHECK_THAT(error_of(dangling)["message"].get<std::string>(), Catch::Contains("--alias of 'absent'"));
}
