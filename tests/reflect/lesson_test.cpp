#include "autoswarm/reflect/lesson.h"

#include <catch2/catch.hpp>

#include "autoswarm/reflect/prune_judge.h"

using autoswarm::conversations::Conversation;
using autoswarm::reflect::LessonAnswer;
using autoswarm::reflect::parse_lesson_answer;
using autoswarm::reflect::parse_prune_answer;
using autoswarm::reflect::prune_request;
using autoswarm::skills::SkillBook;
using nlohmann::json;

namespace {
SkillBook book() {
  SkillBook b;
  b.skills.push_back({"sk-aaaaaa", "Give the shell command first, then explain it.", "2026-01-01T00:00:00Z", {}, 4});
  b.skills.push_back({"sk-bbbbbb", "Use tabs in Makefiles.", "2026-01-02T00:00:00Z", {}, 0});
  return b;
}

Conversation conversation(std::string id, std::string question, std::string reply) {
  Conversation c;
  c.id = std::move(id);
  c.model = "qwen";
  c.status = 200;
  c.messages = json::array({{{"role", "user"}, {"content", question}}});
  c.reply_content = std::move(reply);
  return c;
}
}  // namespace

TEST_CASE("the lesson request shows the skills, the conversation and asks for JSON", "[reflect]") {
  auto req = autoswarm::reflect::lesson_request(conversation("c-1", "how do I list files?", "ls -la"), book());
  REQUIRE(req.messages.size() == 2);
  CHECK(req.messages[0]["role"] == "system");
  CHECK_THAT(req.messages[0]["content"].get<std::string>(), Catch::Contains("\"lesson\""));
  const std::string user = req.messages[1]["content"];
  CHECK_THAT(user, Catch::Contains("- [sk-aaaaaa] Give the shell command first, then explain it.\n"));
  CHECK_THAT(user, Catch::Contains("(c-1, model qwen)"));
  CHECK_THAT(user, Catch::Contains("[user]\nhow do I list files?"));
  CHECK_THAT(user, Catch::Contains("[assistant (the reply being reviewed)]\nls -la"));
  CHECK(req.temperature == 0.0);
  auto empty = autoswarm::reflect::lesson_request(conversation("c-1", "q", "a"), SkillBook{});
  CHECK_THAT(empty.messages[1]["content"].get<std::string>(), Catch::StartsWith("Existing skills: none yet."));
}

TEST_CASE("lesson answers: a lesson, none, known, unparsable", "[reflect]") {
  auto lesson = parse_lesson_answer("Sure:\n```json\n{\"lesson\": \" Quote paths with spaces. \", \"known_as\": null}\n```", book());
  CHECK(lesson.kind == LessonAnswer::Kind::kLesson);
  CHECK(lesson.lesson == "Quote paths with spaces.");

  for (const char* none : {R"({"lesson": null, "reason": "small talk"})", R"({"lesson": "", "known_as": ""})",
                           R"({"lesson": "none"})", R"({"lesson": "N/A", "known_as": "null"})"}) {
    INFO(none);
    CHECK(parse_lesson_answer(none, book()).kind == LessonAnswer::Kind::kNone);
  }
  CHECK(parse_lesson_answer(R"({"lesson": null, "reason": "small talk"})", book()).reason == "small talk");

  auto known = parse_lesson_answer(R"({"lesson": "Command first.", "known_as": "sk-bbbbbb"})", book());
  CHECK(known.kind == LessonAnswer::Kind::kKnown);
  CHECK(known.known_as == "sk-bbbbbb");
  // An id the book does not have is not "known": the lesson still goes to the novelty check.
  auto unknown_id = parse_lesson_answer(R"({"lesson": "Command first, always.", "known_as": "sk-zzzzzz"})", book());
  CHECK(unknown_id.kind == LessonAnswer::Kind::kLesson);

  auto prose = parse_lesson_answer("I think there is no lesson here.", book());
  CHECK(prose.kind == LessonAnswer::Kind::kUnparsable);
  CHECK(prose.reason == "no JSON object found in the answer");
  CHECK(parse_lesson_answer(R"({"lesson": 42})", book()).kind == LessonAnswer::Kind::kUnparsable);
}

TEST_CASE("the prune request shows skills with counts and conversations with injections", "[reflect]") {
  Conversation c = conversation("c-9", "make all fails", "missing separator: use tabs");
  c.injected_skills = {"sk-bbbbbb"};
  auto pr = prune_request(book(), {c});
  CHECK(pr.shown == std::vector<std::string>{"sk-aaaaaa", "sk-bbbbbb"});
  const std::string user = pr.request.messages[1]["content"];
  CHECK_THAT(user, Catch::Contains("- [sk-aaaaaa] (injected into 4 requests) Give the shell command first"));
  CHECK_THAT(user, Catch::Contains("<conversation id=\"c-9\" skills_injected=\"sk-bbbbbb\">"));
  CHECK_THAT(pr.request.messages[0]["content"].get<std::string>(), Catch::Contains("\"remove\""));
}

TEST_CASE("a large skillbook shows the judge the newest skills that fit", "[reflect]") {
  SkillBook b;
  for (int i = 0; i < 1000; ++i) b.skills.push_back({"sk-" + std::to_string(i), std::string(100, 'x'), "", {}, 0});
  auto pr = prune_request(b, {}, {.skills_chars = 2000, .conversations_chars = 1000});
  REQUIRE_FALSE(pr.shown.empty());
  CHECK(pr.shown.size() < 30);
  CHECK(pr.shown.back() == "sk-999");
}

TEST_CASE("prune answers: exactly the shown ids named, once each", "[reflect]") {
  const std::vector<std::string> shown = {"sk-aaaaaa", "sk-bbbbbb"};
  auto a = parse_prune_answer(
      R"(```json
{"remove": [{"id": "sk-bbbbbb", "reason": "vague"}, {"id": "sk-nope", "reason": "?"}, "sk-bbbbbb", "sk-aaaaaa"]}
```)",
      shown);
  REQUIRE(a.parsed);
  REQUIRE(a.remove.size() == 2);
  CHECK(a.remove[0].id == "sk-bbbbbb");
  CHECK(a.remove[0].reason == "vague");
  CHECK(a.remove[1].id == "sk-aaaaaa");
  CHECK(a.remove[1].reason == "no reason given");
  CHECK(a.ignored == std::vector<std::string>{"sk-nope"});

  auto keep = parse_prune_answer(R"({"remove": []})", shown);
  CHECK(keep.parsed);
  CHECK(keep.remove.empty());
  auto junk = parse_prune_answer("All skills look fine to me.", shown);
  CHECK_FALSE(junk.parsed);
  CHECK_FALSE(junk.error.empty());
}
