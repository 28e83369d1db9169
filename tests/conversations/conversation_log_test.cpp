#include "autoswarm/conversations/conversation_log.h"

#include <catch2/catch.hpp>

#include <set>
#include <sys/stat.h>

#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using namespace autoswarm;

TEST_CASE("conversation ids sort by time and do not collide", "[log]") {
  std::set<std::string> ids;
  std::string previous;
  for (int i = 0; i < 500; ++i) {
    std::string id = conversations::new_conversation_id();
    CHECK(id.size() == std::string("20261129T140102.123Z-8c1d3e").size());
    CHECK(id.substr(0, 8) >= previous.substr(0, std::min<size_t>(8, previous.size())));
    ids.insert(id);
    previous = id;
  }
  CHECK(ids.size() == 500);
}

TEST_CASE("records are written as private files, all of them by flush", "[log]") {
  testing::TempDir dir;
  auto logdir = dir / "conversations";
  {
    conversations::ConversationLog log(logdir);
    for (int i = 0; i < 20; ++i) log.append({{"id", "c" + std::to_string(i)}, {"n", i}});
    log.flush();
    for (int i = 0; i < 20; ++i) {
      auto file = logdir / ("c" + std::to_string(i) + ".json");
      REQUIRE(std::filesystem::exists(file));
      CHECK(nlohmann::json::parse(util::read_file(file))["n"] == i);
      struct stat st {};
      ::stat(file.c_str(), &st);
      CHECK((st.st_mode & 0777) == 0600);
    }
    log.append({{"id", "last"}});
  }  // the destructor writes what is still queued
  CHECK(std::filesystem::exists(logdir / "last.json"));
  struct stat st {};
  ::stat(logdir.c_str(), &st);
  CHECK((st.st_mode & 0777) == 0700);
  // Only the records: no temp files left behind.
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(logdir)) ++files;
  CHECK(files == 21);
}

TEST_CASE("invalid UTF-8 from a client does not lose the record", "[log]") {
  testing::TempDir dir;
  conversations::ConversationLog log(dir / "c");
  log.append({{"id", "bad"}, {"text", std::string("caf\xC3", 4)}});
  log.flush();
  CHECK(std::filesystem::exists(dir / "c" / "bad.json"));
}
