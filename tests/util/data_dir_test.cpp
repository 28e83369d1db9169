// Tests for util/data_dir.h: where the data directory is, and the names of the files in it.
#include "autoswarm/util/data_dir.h"

#include <catch2/catch.hpp>

using autoswarm::util::DataDir;

TEST_CASE("the data directory holds conversations, the skillbook and the locks under fixed names", "[util][data_dir]") {
  const DataDir dir("/home/ana/.autoswarm");
  CHECK(dir.conversations() == "/home/ana/.autoswarm/conversations");
  CHECK(dir.review_ledger_file() == "/home/ana/.autoswarm/conversations/reviewed.jsonl");
  CHECK(dir.skills_file() == "/home/ana/.autoswarm/skills.yaml");
  CHECK(dir.removed_skills_file() == "/home/ana/.autoswarm/skills.removed.yaml");
  CHECK(dir.skills_lock_file() == "/home/ana/.autoswarm/skills.lock");
  CHECK(dir.reflect_lock_file() == "/home/ana/.autoswarm/reflect.lock");
}

TEST_CASE("the --home flag wins over AUTOSWARM_HOME", "[util][data_dir]") {
  CHECK(DataDir::resolve(std::string("/tmp/flag-home")).root() == "/tmp/flag-home");
}
