#include "autoswarm/skills/skill_store.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <thread>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using autoswarm::Error;
using autoswarm::util::DataDir;
using autoswarm::FileError;
using autoswarm::skills::RemovedSkills;
using autoswarm::skills::SkillBook;
using autoswarm::skills::SkillStore;
using autoswarm::testing::TempDir;

TEST_CASE("add writes a new skill with a fresh id, the time and its sources", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  auto r = store.add("  Quote paths that contain spaces.\n", {"conv-1"});
  REQUIRE(r.added);
  CHECK(std::regex_match(r.added->id, std::regex("sk-[0-9a-f]{6}")));
  CHECK(r.added->text == "Quote paths that contain spaces.");
  CHECK(std::regex_match(r.added->created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  SkillBook book = SkillBook::load(dir / "skills.yaml");
  REQUIRE(book.skills.size() == 1);
  CHECK(book.skills[0].sources == std::vector<std::string>{"conv-1"});
  struct stat st {};
  REQUIRE(::stat((dir / "skills.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_THROWS_AS(store.add(" \n", {}), Error);
}

TEST_CASE("a veto sees the current file and stops the add", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  store.add("First lesson here.", {});
  size_t seen = 0;
  auto r = store.add("Second.", {}, [&](const SkillBook& b) -> std::optional<std::string> {
    seen = b.skills.size();
    return "no thanks";
  });
  CHECK(seen == 1);
  CHECK_FALSE(r.added);
  CHECK(r.vetoed == "no thanks");
  CHECK(store.load().skills.size() == 1);
}

TEST_CASE("remove moves skills to the audit file with when, why and by what", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  auto a = *store.add("Lesson A is specific.", {"c1"}).added;
  auto b = *store.add("Lesson B is specific.", {"c2"}).added;
  auto removed = store.remove({{a.id, "contradicts B"}}, "prune", SkillStore::Unknown::kIgnore);
  REQUIRE(removed.size() == 1);
  CHECK(store.load().skills.size() == 1);
  RemovedSkills audit = store.load_removed();
  REQUIRE(audit.removed.size() == 1);
  CHECK(audit.removed[0].skill.id == a.id);
  CHECK(audit.removed[0].skill.sources == std::vector<std::string>{"c1"});
  CHECK(audit.removed[0].removed_by == "prune");
  CHECK(audit.removed[0].reason == "contradicts B");
  CHECK_FALSE(audit.removed[0].removed_at.empty());
  CHECK_THAT(autoswarm::util::read_file(store.removed_file()), Catch::StartsWith("# Skills removed from skills.yaml."));

  CHECK(store.remove({{"sk-nope", ""}}, "prune", SkillStore::Unknown::kIgnore).empty());
  try {
    store.remove({{b.id, ""}, {"sk-nope", ""}}, "skills remove", SkillStore::Unknown::kError);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("no skill 'sk-nope' in "));
  }
  CHECK(store.load().skills.size() == 1);  // nothing changed
}

TEST_CASE("restore brings a removed skill back whole, and removing it again keeps one audit entry", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  auto a = *store.add("Lesson A is specific.", {"c1"}).added;
  store.remove({{a.id, "first"}}, "skills remove", SkillStore::Unknown::kError);
  auto back = store.restore(a.id);
  CHECK(back.id == a.id);
  CHECK(back.created == a.created);
  CHECK(back.sources == a.sources);
  CHECK(store.load().skills.size() == 1);
  CHECK(store.load_removed().removed.empty());
  CHECK_THROWS_WITH(store.restore(a.id), Catch::Contains("no removed skill '" + a.id + "'"));
  store.remove({{a.id, "second"}}, "skills remove", SkillStore::Unknown::kError);
  store.restore(a.id);
  store.remove({{a.id, "third"}}, "prune", SkillStore::Unknown::kError);
  auto audit = store.load_removed();
  REQUIRE(audit.removed.size() == 1);
  CHECK(audit.removed[0].reason == "third");
}

TEST_CASE("a restore interrupted between its writes is finished by the next one", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  auto a = *store.add("Lesson A is specific.", {}).added;
  const std::string book_with_a = autoswarm::util::read_file(dir / "skills.yaml");
  store.remove({{a.id, ""}}, "prune", SkillStore::Unknown::kError);
  autoswarm::util::write_file_atomic(dir / "skills.yaml", book_with_a);  // as if killed after the first write
  CHECK(store.restore(a.id).id == a.id);
  CHECK(store.load().skills.size() == 1);
  CHECK(store.load_removed().removed.empty());
}

TEST_CASE("clear moves every skill to the audit file", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  store.add("Lesson A is specific.", {});
  store.add("Lesson B is specific.", {});
  CHECK(store.clear("skills clear", "by hand").size() == 2);
  CHECK(store.load().skills.empty());
  CHECK(store.load_removed().removed.size() == 2);
  CHECK(store.clear("skills clear", "again").empty());
}

TEST_CASE("a malformed skillbook or audit file is never overwritten", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  autoswarm::util::write_file_atomic(dir / "skills.yaml", "version: 1\nskills:\n  - id: sk-1\n    txt: oops\n");
  CHECK_THROWS_AS(store.add("A fine new lesson.", {}), FileError);
  CHECK(autoswarm::util::read_file(dir / "skills.yaml") == "version: 1\nskills:\n  - id: sk-1\n    txt: oops\n");

  autoswarm::util::write_file_atomic(dir / "skills.yaml", "");
  autoswarm::util::write_file_atomic(store.removed_file(), "version: 1\nremoved: [unclosed\n");
  try {
    store.add("A fine new lesson.", {});
    FAIL("expected FileError");
  } catch (const FileError& e) {
    CHECK_THAT(std::string(e.what()), Catch::StartsWith(store.removed_file().string() + ":"));
  }
}

TEST_CASE("temp files left by a killed writer are cleaned up by the next write", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  std::ofstream(dir / ".skills.yaml.tmp-abc123") << "half";
  std::ofstream(dir / ".skills.removed.yaml.tmp-abc123") << "half";
  store.add("A fine new lesson.", {});
  CHECK_FALSE(std::filesystem::exists(dir / ".skills.yaml.tmp-abc123"));
  CHECK_FALSE(std::filesystem::exists(dir / ".skills.removed.yaml.tmp-abc123"));
}

TEST_CASE("concurrent adds under the lock lose nothing", "[skills]") {
  TempDir dir;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      SkillStore store(DataDir(dir.path()));
      for (int i = 0; i < 10; ++i) store.add("Lesson " + std::to_string(t) + "-" + std::to_string(i), {});
    });
  }
  for (auto& th : threads) th.join();
  CHECK(SkillStore(DataDir(dir.path())).load().skills.size() == 40);
}

TEST_CASE("injection counts are written only when they change", "[skills]") {
  TempDir dir;
  SkillStore store(DataDir(dir.path()));
  CHECK_FALSE(store.set_injected_counts({}));  // no file: nothing to do, nothing created
  CHECK_FALSE(std::filesystem::exists(dir / "skills.yaml"));
  auto a = *store.add("Lesson A is specific.", {}).added;
  CHECK(store.set_injected_counts({{a.id, 3}, {"sk-gone", 9}}));
  CHECK(store.load().skills[0].injected == 3);
  CHECK_FALSE(store.set_injected_counts({{a.id, 3}}));
}
