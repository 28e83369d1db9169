// What the upstream's system prompt looks like with skills: appended to the first system message
// or a new one first, off per request, re-read when skills.yaml changes, only those relevant to
// the conversation, bounded by the budget.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

using namespace autoswarm;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

const char* kSkills = R"(version: 1
skills:
  - id: sk-0001
    text: "Give shell commands in a fenced code block."
    created: 2026-11-29T10:00:00Z
    sources: [c1]
    always: true
  - id: sk-0002
    text: "Answer in the user's language."
    created: 2026-11-29T10:05:00Z
    always: true
)";

const std::string kBlock =
    "<autoswarm-skills>\nLessons learned from earlier conversations. Apply them when relevant:\n"
    "- Give shell commands in a fenced code block.\n- Answer in the user's language.\n"
    "</autoswarm-skills>";

json post(ProxyUnderTest& p, const json& messages, httplib::Headers headers = {}) {
  json body = {{"messages", messages}};
  auto res = p.client().Post("/v1/chat/completions", headers, body.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  json seen = p.fake.requests().back()["body"]["messages"];
  INFO("upstream saw: " << seen.dump());
  REQUIRE(seen.at(0).is_object());
  return seen;
}

}  // namespace

TEST_CASE("skills are appended to the first system message", "[proxy][skills]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kSkills);
  json seen = post(p, json::array({{{"role", "system"}, {"content", "You are terse."}},
                                   {{"role", "user"}, {"content", "how do I list files?"}}}));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0]["content"] == "You are terse.\n\n" + kBlock);
  CHECK(seen[1]["content"] == "how do I list files?");
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["injected_skills"] == json{"sk-0001", "sk-0002"});
  CHECK(logs[0]["messages"][0]["content"] == "You are terse.");  // logged as the client sent it
}

TEST_CASE("without a system message the skills become the first message", "[proxy][skills]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kSkills);
  json seen = post(p, json::array({{{"role", "user"}, {"content", "hi"}}}));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == json{{"role", "system"}, {"content", kBlock}});
  CHECK(seen[1]["content"] == "hi");
}

TEST_CASE("X-Autoswarm-Skills: off sends the messages untouched", "[proxy][skills]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kSkills);
  json messages = json::array({{{"role", "user"}, {"content", "hi"}}});
  CHECK(post(p, messages, {{"X-Autoswarm-Skills", "off"}}) == messages);
  CHECK(p.logs(1).at(0)["injected_skills"].empty());
}

TEST_CASE("skills.yaml is re-read when it changes", "[proxy][skills]") {
  ProxyUnderTest p;
  json messages = json::array({{{"role", "user"}, {"content", "hi"}}});
  CHECK(post(p, messages) == messages);
  util::write_file_atomic(p.home / "skills.yaml", kSkills);
  CHECK(post(p, messages).at(0)["content"] == kBlock);
  util::write_file_atomic(p.home / "skills.yaml",
                          "version: 1\nskills:\n  - {id: sk-0003, text: \"Be brief.\", always: true}\n");
  CHECK(post(p, messages).at(0)["content"].get<std::string>().find("- Be brief.\n") != std::string::npos);
  SECTION("a broken edit keeps the skills loaded before") {
    std::ofstream(p.home / "skills.yaml") << "skills: [ {id: x\n";
    CHECK(post(p, messages).at(0)["content"].get<std::string>().find("- Be brief.\n") != std::string::npos);
  }
}

TEST_CASE("when the skills do not fit the budget, the relevant ones are chosen", "[proxy][skills]") {
  std::string yaml = "version: 1\nskills:\n";
  for (int i = 0; i < 40; ++i) {
    yaml += "  - {id: sk-" + std::to_string(100 + i) + ", text: \"Generic advice number " +
            std::to_string(i) + " about writing clear prose and good paragraphs.\"}\n";
  }
  yaml += "  - {id: sk-docker, text: \"When a docker container exits at once, check the CMD and the logs with docker logs.\"}\n";
  ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.skill_limits.budget_tokens = 60; });
  util::write_file_atomic(p.home / "skills.yaml", yaml);
  json seen = post(p, json::array({{{"role", "user"}, {"content", "my docker container exits immediately"}}}));
  std::string system = seen.at(0).at("content");
  CHECK(system.find("docker logs") != std::string::npos);
  CHECK(system.size() <= 60 * 4);
  auto ids = p.logs(1).at(0)["injected_skills"];
  CHECK(std::find(ids.begin(), ids.end(), "sk-docker") != ids.end());
  CHECK(ids.size() < 41);
}

TEST_CASE("only skills relevant to the conversation are injected, chosen by everything the user wrote",
          "[proxy][skills]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", R"(version: 1
skills:
  - {id: sk-make, text: "Write Makefile recipes with tabs, never spaces."}
  - {id: sk-pip, text: "Install Python packages with pip inside a virtual environment, never with sudo."}
  - {id: sk-clippy, text: "Run cargo clippy before committing Rust code."}
)");
  // A question on none of their topics gets no skill at all: the system prompt stays the client's.
  json unrelated = json::array({{{"role", "system"}, {"content", "You are terse."}},
                                {{"role", "user"}, {"content", "what is the capital of Peru?"}}});
  CHECK(post(p, unrelated) == unrelated);
  // A Makefile question gets the Makefile skill, and only it ("makefiles" is "Makefile").
  json seen = post(p, json::array({{{"role", "user"}, {"content", "my makefiles fail with missing separator"}}}));
  CHECK(seen.at(0)["content"].get<std::string>().find("- Write Makefile recipes") != std::string::npos);
  CHECK(seen.at(0)["content"].get<std::string>().find("pip") == std::string::npos);
  // A follow-up that names no topic keeps the conversation's: the earlier user turns count.
  json follow_up = post(p, json::array({{{"role", "user"}, {"content", "my makefiles fail with missing separator"}},
                                        {{"role", "assistant"}, {"content", "Use a tab."}},
                                        {{"role", "user"}, {"content", "and now it says nothing to be done?"}}}));
  CHECK(follow_up.at(0)["content"].get<std::string>().find("- Write Makefile recipes") != std::string::npos);
  auto logs = p.logs(3);
  REQUIRE(logs.size() == 3);
  CHECK(logs[0]["injected_skills"].empty());
  CHECK(logs[1]["injected_skills"] == json{"sk-make"});
  CHECK(logs[2]["injected_skills"] == json{"sk-make"});
}

TEST_CASE("a front end's background task gets no skills and is logged as a helper call", "[proxy][skills]") {
  ProxyUnderTest p;
  util::write_file_atomic(p.home / "skills.yaml", kSkills);  // two always-skills
  json task = json::array({{{"role", "user"},
                            {"content", "### Task:\nGenerate a concise, 3-5 word title summarizing the chat history.\n"
                                        "### Chat History:\n<chat_history>\nUSER: hi\n</chat_history>"}}});
  CHECK(post(p, task) == task);  // the upstream got it untouched
  json chat = json::array({{{"role", "user"}, {"content", "hi"}}});
  CHECK(post(p, chat).at(0)["content"] == kBlock);
  auto logs = p.logs(2);
  REQUIRE(logs.size() == 2);
  std::sort(logs.begin(), logs.end(), [](const json& a, const json& b) { return a["kind"] > b["kind"]; });
  CHECK(logs[0]["kind"] == "helper");
  CHECK(logs[0]["injected_skills"].empty());
  CHECK(logs[1]["kind"] == "chat");
  CHECK(logs[1]["injected_skills"] == json{"sk-0001", "sk-0002"});
}
