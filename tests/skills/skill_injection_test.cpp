#include "autoswarm/skills/skill_injection.h"

#include <catch2/catch.hpp>

using namespace autoswarm::skills;
using nlohmann::json;

namespace {
SkillBook book_of(std::vector<std::string> texts) {
  SkillBook b;
  int i = 0;
  for (auto& t : texts) b.skills.push_back({"sk-" + std::to_string(i++), t, "", {}, 0});
  return b;
}
}  // namespace

TEST_CASE("every skill is chosen when all fit", "[skills]") {
  auto book = book_of({"one", "two", "three"});
  CHECK(choose_skills(book, "anything", 800) == std::vector<size_t>{0, 1, 2});
  CHECK(choose_skills(book, "anything", 0).empty());
  CHECK(choose_skills(SkillBook{}, "x", 800).empty());
}

TEST_CASE("over budget, the most relevant skills are chosen and kept in book order", "[skills]") {
  auto book = book_of({"Use numbered lists for steps in recipes and cooking.",
                       "Prefer pathlib over os.path in Python code.",
                       "For git merge conflicts, show the exact git commands to resolve them.",
                       "Keep answers about poetry short."});
  // Room for the framing and about two skills.
  auto chosen = choose_skills(book, "how do I resolve a git merge conflict in python", 60);
  REQUIRE(!chosen.empty());
  CHECK(std::find(chosen.begin(), chosen.end(), 2) != chosen.end());
  CHECK(std::is_sorted(chosen.begin(), chosen.end()));
  CHECK(render_skill_block(book, chosen).size() <= 60 * kCharsPerToken);
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

TEST_CASE("latest_user_text finds the last user message, text parts joined", "[skills]") {
  json m = json::array({{{"role", "user"}, {"content", "first"}},
                        {{"role", "assistant"}, {"content", "reply"}},
                        {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "look"}},
                                                                    {{"type", "image_url"}, {"image_url", "x"}},
                                                                    {{"type", "text"}, {"text", "here"}}})}}});
  CHECK(latest_user_text(m) == "look\nhere");
  CHECK(latest_user_text(json::array()) == "");
}
