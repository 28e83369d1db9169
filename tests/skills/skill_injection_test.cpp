#include "autoswarm/skills/skill_injection.h"

#include <catch2/catch.hpp>

using namespace autoswarm::skills;
using nlohmann::json;

namespace {
SkillBook book_of(std::vector<std::string> texts) {
  SkillBook b;
  int i = 0;
  for (auto& t : texts) {
    Skill s;
    s.id = "sk-" + std::to_string(i++);
    s.text = t;
    b.skills.push_back(s);
  }
  return b;
}

InjectionLimits budget(size_t tokens) {
  InjectionLimits limits;
  limits.budget_tokens = tokens;
  return limits;
}
}  // namespace

TEST_CASE("a skill is chosen only when it is relevant to the conversation, however much room is left", "[skills]") {
  auto book = book_of({"Prefer pathlib over os.path in Python code.",
                       "Write Makefile recipes with tabs, never spaces.",
                       "Use cargo clippy before committing Rust code."});
  CHECK(choose_skills(book, "my makefiles break with a missing separator error", budget(800)) ==
        std::vector<size_t>{1});  // "makefiles" is "Makefile": one stem
  CHECK(choose_skills(book, "how do I install requests with pip?", budget(800)).empty());
  CHECK(choose_skills(book, "in python, should I use os.path.join?", budget(0)).empty());
  CHECK(choose_skills(SkillBook{}, "x", budget(800)).empty());
}

TEST_CASE("with no floor every skill is a candidate, the most relevant first", "[skills]") {
  auto book = book_of({"one", "two", "three"});
  InjectionLimits any = budget(800);
  any.min_score = 0;
  any.max_skills = SIZE_MAX;
  CHECK(choose_skills(book, "anything", any) == std::vector<size_t>{0, 1, 2});
}

TEST_CASE("over budget, the most relevant skills are chosen and kept in book order", "[skills]") {
  auto book = book_of({"For git merge conflicts, show the exact git commands to resolve them.",
                       "Prefer pathlib over os.path in Python code.",
                       "In git rebase conflicts, say which side is ours.",
                       "Keep answers about poetry short."});
  // Room for the framing and about two skills.
  auto chosen = choose_skills(book, "how do I resolve a git merge conflict in python code", budget(60));
  REQUIRE(!chosen.empty());
  CHECK(std::find(chosen.begin(), chosen.end(), 0) != chosen.end());
  CHECK(std::find(chosen.begin(), chosen.end(), 3) == chosen.end());  // relevant to nothing asked
  CHECK(std::is_sorted(chosen.begin(), chosen.end()));
  CHECK(render_skill_block(book, chosen).size() <= 60 * kCharsPerToken);
}

TEST_CASE("at most max_skills relevant skills are chosen, and always-skills come on top", "[skills]") {
  auto book = book_of({"Answer in British English.", "Show git commands for a merge.", "Show git commands for a rebase.",
                       "Show git commands for a cherry-pick."});
  book.skills[0].always = true;
  InjectionLimits limits = budget(800);
  limits.max_skills = 2;
  const auto chosen = choose_skills(book, "git commands for a merge, then a rebase", limits);
  CHECK(chosen == std::vector<size_t>{0, 1, 2});
  CHECK(choose_skills(book, "what is the capital of Peru?", limits) == std::vector<size_t>{0});
}

TEST_CASE("relevance is 0 for no shared term and 1 for every term of the skill", "[skills]") {
  auto book = book_of({"Run the tests before pushing.", "Quote shell variables."});
  SkillIndex index(book);
  const auto none = index.relevance("what is the capital of Peru?");
  CHECK(none == std::vector<double>{0.0, 0.0});
  const auto all = index.relevance("I run the tests before pushing; quote it");
  CHECK(all[0] == Approx(1.0));
  CHECK(all[1] > 0.0);
  CHECK(all[1] < 1.0);
}

TEST_CASE("index terms drop function words and share a stem across a word's forms", "[skills]") {
  CHECK(index_terms("How do I fix the Makefiles?") == index_terms("fix makefile"));
  CHECK(index_terms("running tests") == index_terms("run test"));
  CHECK(index_terms("installed packages") == index_terms("install package"));
  CHECK(index_terms("the a to of please thanks").empty());
}

TEST_CASE("the block is appended to the first system message or inserted first", "[skills]") {
  const std::string block = "<autoswarm-skills>\n- x\n</autoswarm-skills>";
  json with_system = json::array({{{"role", "system"}, {"content", "Be kind."}}, {{"role", "user"}, {"content", "hi"}}});
  inject_system_block(with_system, block);
  CHECK(with_system[0]["content"] == "Be kind.\n\n" + block);
  CHECK(with_system.size() == 2);

  json parts = json::array({{{"role", "system"}, {"content", json::array({{{"type", "text"}, {"text", "A"}}})}}});
  inject_system_block(parts, block);
  CHECK(parts[0]["content"][1] == json{{"type", "text"}, {"text", block}});

  json no_system = json::array({{{"role", "user"}, {"content", "hi"}}});
  inject_system_block(no_system, block);
  CHECK(no_system[0] == json{{"role", "system"}, {"content", block}});
  CHECK(no_system[1]["role"] == "user");
}

TEST_CASE("conversation_user_text is every user message in order, text parts joined", "[skills]") {
  json m = json::array({{{"role", "system"}, {"content", "sys"}},
                        {{"role", "user"}, {"content", "my Makefile fails"}},
                        {{"role", "assistant"}, {"content", "reply"}},
                        {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "and now?"}}})}},
                        {{"role", 5}, {"content", "ignored"}}});
  CHECK(conversation_user_text(m) == "my Makefile fails\nand now?");
  CHECK(conversation_user_text(json::object()) == "");
  // Text parts are joined and other parts left out.
  json parts = json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "look"}},
                                                                        {{"type", "image_url"}, {"image_url", "x"}},
                                                                        {{"type", "text"}, {"text", "here"}}})}}});
  CHECK(conversation_user_text(parts) == "look\nhere");
  CHECK(conversation_user_text(json::array()) == "");
}
