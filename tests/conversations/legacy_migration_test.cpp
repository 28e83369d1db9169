// `conversations migrate` in the core: older versions' <id>.json files become segment lines,
// durably and exactly once, however often it is run or interrupted.
#include "autoswarm/conversations/legacy_migration.h"

#include <utime.h>

#include <catch2/catch.hpp>

#include <ctime>
#include <fstream>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "conversations/segment_test_support.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using autoswarm::FileError;
using autoswarm::conversations::list_legacy_record_ids;
using autoswarm::conversations::migrate_legacy_records;
using autoswarm::conversations::MigrationResult;
using autoswarm::testing::CapturedLog;
using autoswarm::testing::record_ids;
using autoswarm::testing::segment_lines;
using autoswarm::testing::TempDir;
using autoswarm::util::DataDir;
using nlohmann::json;

namespace {

struct MigrateHome {
  MigrateHome() { std::filesystem::create_directories(dir()); }
  std::filesystem::path dir() const { return tmp / "conversations"; }
  DataDir data() const { return DataDir(tmp.path()); }
  // An older version's record: pretty-printed, in a file of its own.
  void legacy(const std::string& id, const std::string& started_at, const std::string& question) const {
    json record = {{"id", id}, {"started_at", started_at}, {"messages", {{{"role", "user"}, {"content", question}}}}};
    autoswarm::util::write_file_atomic(dir() / (id + ".json"), record.dump(2) + "\n");
  }
  TempDir tmp;
};

}  // namespace

TEST_CASE("migrate moves older versions' files into the segments of the days they started, in id order",
          "[conversations][migrate]") {
  MigrateHome h;
  h.legacy("20260102T090000.000Z-bbbbbb", "2026-01-02T09:00:00.000Z", "second day");
  h.legacy("20260101T230000.000Z-aaaaa2", "2026-01-01T23:00:00.000Z", "late");
  h.legacy("20260101T080000.000Z-aaaaa1", "2026-01-01T08:00:00.000Z", "early");
  h.legacy("hand-made", "", "no start");  // no time at all: the day its file was written
  const std::time_t jan3_noon = 1767441600;  // 2026-01-03T12:00:00Z
  const utimbuf jan3{jan3_noon, jan3_noon};
  REQUIRE(::utime((h.dir() / "hand-made.json").c_str(), &jan3) == 0);
  { std::ofstream(h.dir() / "2026-01-02.jsonl") << "{\"id\":\"already-logged\"}\n"; }

  const MigrationResult r = migrate_legacy_records(h.data());
  CHECK(r.migrated == 4);
  CHECK(r.already_there == 0);
  CHECK(r.left.empty());
  CHECK(list_legacy_record_ids(h.dir()).empty());

  const auto day1 = segment_lines(h.dir() / "2026-01-01.jsonl");
  REQUIRE(day1.size() == 2);
  CHECK(json::parse(day1[0])["id"] == "20260101T080000.000Z-aaaaa1");
  CHECK(json::parse(day1[0])["messages"][0]["content"] == "early");
  CHECK(day1[1].find('\n') == std::string::npos);  // one compact line
  CHECK(json::parse(day1[1])["id"] == "20260101T230000.000Z-aaaaa2");
  const auto day2 = segment_lines(h.dir() / "2026-01-02.jsonl");
  REQUIRE(day2.size() == 2);
  CHECK(day2[0] == "{\"id\":\"already-logged\"}");
  CHECK(json::parse(day2[1])["id"] == "20260102T090000.000Z-bbbbbb");
  CHECK(record_ids(h.dir()).size() == 5);
  CHECK(segment_lines(h.dir() / "2026-01-03.jsonl") ==
        std::vector<std::string>{R"({"id":"hand-made","messages":[{"content":"no start","role":"user"}],"started_at":""})"});
}

TEST_CASE("migrate run again, or after an interrupted run, neither loses nor doubles a record",
          "[conversations][migrate]") {
  MigrateHome h;
  h.legacy("20260101T080000.000Z-aaaaa1", "2026-01-01T08:00:00.000Z", "moved before the crash");
  h.legacy("20260101T090000.000Z-aaaaa2", "2026-01-01T09:00:00.000Z", "not yet moved");
  // What a run killed after appending the first record, before removing its file, leaves.
  {
    std::ofstream(h.dir() / "2026-01-01.jsonl")
        << json::parse(autoswarm::util::read_file(h.dir() / "20260101T080000.000Z-aaaaa1.json")).dump() << "\n";
  }
  const MigrationResult r = migrate_legacy_records(h.data());
  CHECK(r.migrated == 1);
  CHECK(r.already_there == 1);
  CHECK(list_legacy_record_ids(h.dir()).empty());
  CHECK(record_ids(h.dir()) == std::vector<std::string>{"20260101T080000.000Z-aaaaa1", "20260101T090000.000Z-aaaaa2"});
  CHECK(segment_lines(h.dir() / "2026-01-01.jsonl").size() == 2);

  const auto before = autoswarm::util::read_file(h.dir() / "2026-01-01.jsonl");
  const MigrationResult again = migrate_legacy_records(h.data());
  CHECK(again.migrated == 0);
  CHECK(again.already_there == 0);
  CHECK(autoswarm::util::read_file(h.dir() / "2026-01-01.jsonl") == before);
}

TEST_CASE("a file that is not a record stays where it is, named, and the others are migrated",
          "[conversations][migrate]") {
  MigrateHome h;
  CapturedLog captured;
  h.legacy("20260101T080000.000Z-aaaaa1", "2026-01-01T08:00:00.000Z", "fine");
  { std::ofstream(h.dir() / "broken.json") << "{\"id\": \"broken\", \"mess"; }
  const MigrationResult r = migrate_legacy_records(h.data());
  CHECK(r.migrated == 1);
  CHECK(r.left == std::vector<std::string>{(h.dir() / "broken.json").string()});
  CHECK(captured.wait_for((h.dir() / "broken.json").string() + ": not a conversation record (not valid JSON",
                          std::chrono::milliseconds(0)));
  CHECK(list_legacy_record_ids(h.dir()) == std::vector<std::string>{"broken"});
}

TEST_CASE("migrate waits for no reflect run: while one holds the lock it changes nothing", "[conversations][migrate]") {
  MigrateHome h;
  h.legacy("20260101T080000.000Z-aaaaa1", "2026-01-01T08:00:00.000Z", "stays");
  autoswarm::util::FileLock reflect(h.data().reflect_lock_file());
  // flock locks belong to the open file: a second open in this process conflicts like another process.
  CHECK_THROWS_WITH(migrate_legacy_records(h.data()), Catch::Contains("is held by a running `autoswarm reflect`"));
  CHECK(list_legacy_record_ids(h.dir()).size() == 1);
  CHECK(autoswarm::conversations::list_segments(h.dir()).empty());
}

TEST_CASE("migrate removes the temp files older versions' writers left, fresh ones kept", "[conversations][migrate]") {
  MigrateHome h;
  const auto stale = h.dir() / ".20260101-000000-abc.json.tmp";
  const auto fresh = h.dir() / ".20260101-000001-abc.json.tmp";
  { std::ofstream(stale) << "{\"half"; }
  { std::ofstream(fresh) << "{\"half"; }
  utimbuf old{std::time(nullptr) - 600, std::time(nullptr) - 600};
  REQUIRE(::utime(stale.c_str(), &old) == 0);
  const MigrationResult r = migrate_legacy_records(h.data());
  CHECK(r.temp_files == 1);
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK(std::filesystem::exists(fresh));
}

TEST_CASE("migrate without a conversations directory has nothing to do", "[conversations][migrate]") {
  TempDir home;
  const MigrationResult r = migrate_legacy_records(DataDir(home / "nothing-yet"));
  CHECK(r.migrated == 0);
  CHECK_FALSE(std::filesystem::exists(home / "nothing-yet"));
}
