// The writer of the conversation log: what lands in the segment files, byte for byte.
#include "autoswarm/conversations/conversation_log.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <set>
#include <thread>
#include <sys/stat.h>

#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"
#include "conversations/segment_test_support.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using autoswarm::testing::only_segment;
using autoswarm::testing::record_ids;
using autoswarm::testing::segment_lines;
using nlohmann::json;

namespace {

std::string today() { return util::utc_timestamp().substr(0, 10); }

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

size_t entries(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

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

TEST_CASE("records are written as lines of today's private segment, all of them by flush", "[log]") {
  testing::TempDir dir;
  auto logdir = dir / "conversations";
  const std::string day_before = today();
  {
    conversations::ConversationLog log(logdir);
    for (int i = 0; i < 20; ++i) log.append({{"id", "c" + std::to_string(i)}, {"n", i}});
    log.flush();
    const auto segments = conversations::list_segments(logdir);
    REQUIRE(segments.size() == 1);
    CHECK((segments[0].day == day_before || segments[0].day == today()));
    CHECK(segments[0].part == 0);
    const auto file = logdir / segments[0].file_name();
    CHECK(mode_of(file) == 0600);
    const auto lines = segment_lines(file);
    REQUIRE(lines.size() == 20);
    for (int i = 0; i < 20; ++i) {
      CHECK(lines[i] == json({{"id", "c" + std::to_string(i)}, {"n", i}}).dump());  // compact, in order
    }
    log.append({{"id", "last"}});
  }  // the destructor writes what is still queued
  CHECK(record_ids(logdir).back() == "last");
  CHECK(mode_of(logdir) == 0700);
  CHECK(entries(logdir) == 1);  // one segment: no file per record, no temp files
}

TEST_CASE("records appended together are one line each, in one segment", "[log]") {
  testing::TempDir dir;
  conversations::ConversationLog log(dir / "c", {.gather = std::chrono::seconds(30)});
  for (int i = 0; i < 5; ++i) log.append({{"id", "b" + std::to_string(i)}, {"text", "one\ntwo"}});
  log.flush();
  const std::string text = util::read_file(only_segment(dir / "c"));
  CHECK(std::count(text.begin(), text.end(), '\n') == 5);
  CHECK(text.back() == '\n');
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"});
}

TEST_CASE("invalid UTF-8 from a client does not lose the record", "[log]") {
  testing::TempDir dir;
  conversations::ConversationLog log(dir / "c");
  log.append({{"id", "bad"}, {"text", std::string("caf\xC3", 4)}});
  log.flush();
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"bad"});
}

TEST_CASE("a record is one line of JSON built on the writer thread", "[log]") {
  testing::TempDir dir;
  conversations::ConversationLog log(dir / "c");
  std::thread::id built_on;
  log.append("deferred", [&] {
    built_on = std::this_thread::get_id();
    return json{{"messages", {{{"role", "user"}, {"content", "a\nb"}}}}};
  });
  log.flush();
  CHECK(built_on != std::thread::id());
  CHECK(built_on != std::this_thread::get_id());
  const auto lines = segment_lines(only_segment(dir / "c"));
  REQUIRE(lines.size() == 1);
  const json record = json::parse(lines[0]);
  CHECK(record["id"] == "deferred");  // the id it was appended with
  CHECK(record["messages"][0]["content"] == "a\nb");
}

TEST_CASE("a record that cannot be built or has no valid id is skipped, not the others", "[log]") {
  testing::TempDir dir;
  testing::CapturedLog captured;
  conversations::ConversationLog log(dir / "c");
  log.append("broken", []() -> json { throw std::runtime_error("no"); });
  log.append(json{{"no-id", true}});
  log.append(json{{"id", "../escape"}});
  log.append("not-an-object", [] { return json::array(); });
  log.append(json{{"id", "fine"}});
  log.flush();
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"fine"});
  CHECK(entries(dir / "c") == 1);
  CHECK(log.dropped().count == 4);
}

TEST_CASE("a record longer than the limit is dropped and counted, the rest of its batch written", "[log]") {
  testing::TempDir dir;
  testing::CapturedLog captured;
  conversations::ConversationLog log(dir / "c", {.gather = std::chrono::seconds(30), .max_record_bytes = 100});
  log.append({{"id", "small"}});
  log.append({{"id", "big"}, {"text", std::string(200, 'x')}});
  log.flush();
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"small"});
  CHECK(log.dropped().count == 1);
  CHECK_THAT(log.dropped().last_error, Catch::Contains("more than the 100 a record may have"));
}

TEST_CASE("a full queue makes append wait for the disk instead of growing", "[log]") {
  testing::TempDir dir;
  testing::CapturedLog log_output;
  conversations::ConversationLog log(dir / "c", {.max_queued = 2, .max_batch = 1});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> building{0};
  auto blocked = [&](std::string id) {
    return [&, id] {
      ++building;
      released.wait();
      return json{{"id", id}};
    };
  };
  log.append("r0", blocked("r0"));  // taken by the writer, which then waits
  while (building == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log.append("r1", blocked("r1"));  // queued
  log.append("r2", blocked("r2"));  // queued: the queue is full now
  std::atomic<bool> appended{false};
  std::thread late([&] {
    log.append("r3", blocked("r3"));
    appended = true;
  });
  // The warning comes just before append() waits for room, under the lock that room needs.
  REQUIRE(log_output.wait_for("records behind the disk", std::chrono::seconds(10)));
  CHECK_FALSE(appended);
  release.set_value();
  late.join();
  CHECK(appended);
  log.flush();
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"r0", "r1", "r2", "r3"});
}

TEST_CASE("records gather before a write, but flush and shutdown do not wait for that", "[log]") {
  testing::TempDir dir;
  auto started = std::chrono::steady_clock::now();
  {
    conversations::ConversationLog log(dir / "c", {.gather = std::chrono::seconds(30)});
    log.append(json{{"id", "gathered"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(record_ids(dir / "c").empty());  // still gathering
    log.flush();
    CHECK(record_ids(dir / "c") == std::vector<std::string>{"gathered"});
    log.append(json{{"id", "at-exit"}});
  }
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"gathered", "at-exit"});
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("a torn last line a crash left is cut off by the next writer before it appends", "[log]") {
  testing::TempDir dir;
  testing::CapturedLog captured;
  std::filesystem::create_directories(dir / "c");
  const auto segment = dir / "c" / (today() + ".jsonl");
  { std::ofstream(segment) << "{\"id\":\"whole\"}\n{\"id\":\"torn\",\"messa"; }
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"whole"});  // readers ignore the torn line
  {
    conversations::ConversationLog log(dir / "c");
    log.append({{"id", "next"}});
    log.flush();
  }
  CHECK(util::read_file(segment) == "{\"id\":\"whole\"}\n{\"id\":\"next\"}\n");
  CHECK(captured.wait_for("cut off a torn last line of 19 bytes", std::chrono::milliseconds(0)));
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"whole", "next"});
}

TEST_CASE("a new segment of the day begins when a batch would pass the segment limit", "[log]") {
  testing::TempDir dir;
  const std::string line = json{{"id", "r00"}, {"pad", std::string(40, 'x')}}.dump() + "\n";  // 58 bytes
  {
    conversations::ConversationLog log(dir / "c", {.segment_bytes = 3 * line.size()});
    for (int i = 0; i < 7; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "r%02d", i);
      log.append({{"id", id}, {"pad", std::string(40, 'x')}});
      log.flush();  // one batch each
    }
  }
  const auto segments = conversations::list_segments(dir / "c");
  REQUIRE(segments.size() == 3);
  CHECK(segments[0].file_name() == segments[0].day + ".jsonl");
  CHECK(segments[1].file_name() == segments[0].day + ".1.jsonl");
  CHECK(segments[2].file_name() == segments[0].day + ".2.jsonl");
  CHECK(segment_lines(dir / "c" / segments[0].file_name()).size() == 3);
  CHECK(segment_lines(dir / "c" / segments[1].file_name()).size() == 3);
  CHECK(segment_lines(dir / "c" / segments[2].file_name()).size() == 1);
  CHECK(std::filesystem::file_size(dir / "c" / segments[0].file_name()) == 3 * line.size());
  CHECK(record_ids(dir / "c") == std::vector<std::string>{"r00", "r01", "r02", "r03", "r04", "r05", "r06"});
}
