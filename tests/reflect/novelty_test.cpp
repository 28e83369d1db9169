#include "autoswarm/reflect/novelty.h"

#include <catch2/catch.hpp>

using autoswarm::reflect::check_novelty;
using autoswarm::reflect::normalise;
using autoswarm::reflect::similarity;
using autoswarm::skills::SkillBook;

namespace {
SkillBook book_with(std::vector<std::string> texts) {
  SkillBook b;
  int n = 0;
  for (auto& t : texts) b.skills.push_back({"sk-" + std::to_string(++n), t, "", {}, 0});
  return b;
}
}  // namespace

TEST_CASE("normalise folds case, punctuation and spacing", "[reflect]") {
  CHECK(normalise("  Give the COMMAND first -- then, explain!  ") == "give the command first then explain");
  CHECK(normalise("Ünïcode stays") == "Ünïcode stays");
  CHECK(normalise("...") == "");
}

TEST_CASE("similarity is 1 for equal texts and low for unrelated ones", "[reflect]") {
  CHECK(similarity("abc def", "abc def") == 1.0);
  CHECK(similarity(normalise("Give the shell command first, then explain it."),
                   normalise("Give the shell command first and then explain it")) > 0.8);
  CHECK(similarity(normalise("Use tabs in Makefiles."), normalise("Answer in French when asked in French.")) < 0.3);
}

TEST_CASE("exact and near duplicates are not novel, different lessons are", "[reflect]") {
  SkillBook book = book_with({"When the user asks for a shell one-liner, give the command first, then explain."});
  auto exact = check_novelty(book, "when the user asks for a shell one-liner: give the command first; then explain");
  CHECK_FALSE(exact.novel);
  CHECK(exact.similar_id == "sk-1");
  CHECK_THAT(exact.reason, Catch::StartsWith("duplicate of sk-1"));
  auto near = check_novelty(book, "When the user asks for a shell one-liner, give the command first and then explain it.");
  CHECK_FALSE(near.novel);
  CHECK_THAT(near.reason, Catch::StartsWith("near duplicate of sk-1 (similarity 0."));
  auto fresh = check_novelty(book, "Use the project's Makefile targets instead of calling gcc directly.");
  CHECK(fresh.novel);
  CHECK(fresh.similar_id.empty());
}

TEST_CASE("empty, short, generic and overlong lessons are not novel", "[reflect]") {
  SkillBook empty;
  CHECK(check_novelty(empty, "  ").reason == "the lesson is empty");
  CHECK(check_novelty(empty, "Be concise.").reason == "the lesson is too short to be concrete");
  CHECK(check_novelty(empty, "Always be helpful and answer the user's questions clearly and accurately.").reason ==
        "the lesson is generic advice");
  CHECK(check_novelty(empty, std::string(600, 'x') + " y z w").reason == "the lesson is longer than 500 characters");
  CHECK(check_novelty(empty, "Answer in French when the user writes in French.").novel);
}

TEST_CASE("the threshold decides what is near", "[reflect]") {
  SkillBook book = book_with({"Prefer ripgrep over grep for searching code."});
  const std::string lesson = "Prefer ripgrep (rg) over grep when searching the code.";
  CHECK_FALSE(check_novelty(book, lesson, 0.5).novel);
  CHECK(check_novelty(book, lesson, 0.99).novel);
}
