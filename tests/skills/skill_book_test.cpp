#include "autoswarm/skills/skill_book.h"

#include <catch2/catch.hpp>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using autoswarm::FileError;
using autoswarm::skills::Skill;
using autoswarm::skills::SkillBook;

TEST_CASE("a skillbook round-trips through YAML", "[skills]") {
  SkillBook book;
  book.skills.push_back({"sk-1", "Quote paths with spaces: \"like this\": yes", "2026-11-29T10:00:00Z", {"c1", "c2"}, 3});
  book.skills.push_back({"sk-2", "Line one\nline two", "2026-11-29T11:00:00Z", {}, 0});
  SkillBook again = SkillBook::parse(book.to_yaml(), "skills.yaml");
  REQUIRE(again.skills.size() == 2);
  CHECK(again.skills[0].text == book.skills[0].text);
  CHECK(again.skills[0].sources == std::vector<std::string>{"c1", "c2"});
  CHECK(again.skills[0].injected == 3);
  CHECK(again.skills[1].text == "Line one\nline two");
  CHECK(book.to_yaml().rfind("version: 1\n", 0) == 0);
}

TEST_CASE("a skillbook with text that is not UTF-8 is refused naming the line and field", "[skills]") {
  // A Latin-1 "é": written back it used to become U+FFFD, so parse -> write -> parse changed the
  // skill, and the proxy could not put it into a JSON request.
  try {
    SkillBook::parse("version: 1\nskills:\n  - id: sk-1\n    text: \"caf\xe9 first\"\n", "skills.yaml");
    FAIL("expected FileError");
  } catch (const FileError& e) {
    CHECK_THAT(std::string(e.what()),
               Catch::StartsWith("skills.yaml:4: field 'text' is not UTF-8 (byte 3 of its text)"));
  }
  CHECK_THROWS_WITH(SkillBook::parse("version: 1\nskills:\n  - {id: a, text: x, sources: [ok, \"\xff\"]}\n", "s.yaml"),
                    Catch::StartsWith("s.yaml:3: 'sources' is not UTF-8 (byte 0 of its text)"));
}

TEST_CASE("a missing or empty skillbook is empty", "[skills]") {
  autoswarm::testing::TempDir dir;
  CHECK(SkillBook::load(dir / "skills.yaml").skills.empty());
  autoswarm::util::write_file_atomic(dir / "skills.yaml", "");
  CHECK(SkillBook::load(dir / "skills.yaml").skills.empty());
}

TEST_CASE("a malformed skillbook names the file and line", "[skills]") {
  auto fails_with = [](const std::string& yaml, const std::string& needle) {
    try {
      SkillBook::parse(yaml, "/home/u/.autoswarm/skills.yaml");
      FAIL("expected FileError for: " << yaml);
    } catch (const FileError& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains(needle));
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("/home/u/.autoswarm/skills.yaml:"));
    }
  };
  fails_with("version: 1\nskills:\n  - id: a\n    text: [unclosed\n", "not valid YAML");
  fails_with("version: 1\nskills:\n  - id: a\n", "missing the field 'text'");
  fails_with("version: 1\nskills:\n  - {id: a, text: x}\n  - {id: a, text: y}\n", "duplicate skill id 'a'");
  fails_with("version: 7\nskills: []\n", "unsupported skillbook version 7");
  fails_with("version: 1\nskills: {a: b}\n", "'skills' must be a list");
  fails_with("- just\n- a list\n", "expected a map");
  fails_with("version: 1\nskills:\n  - {id: a, text: x, injected: lots}\n", "'injected' must be a whole number");
  try {
    SkillBook::parse("version: 1\nskills:\n  - id: a\n  - id: b\n    text: t\n", "f.yaml");
  } catch (const FileError& e) {
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("f.yaml:3:"));
  }
}
