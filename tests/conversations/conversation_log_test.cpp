#include "autoswarm/conversations/conversation_log.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>
#include <sys/stat.h>

#include "autoswarm/util/files.h"
#include "support/captured_log.h"
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

TEST_CASE("a record is one line of JSON built on the writer thread", "[log]") {
  testing::TempDir dir;
  conversations::ConversationLog log(dir / "c");
  std::thread::id built_on;
  log.append("deferred", [&] {
    built_on = std::this_thread::get_id();
    return nlohmann::json{{"id", "deferred"}, {"messages", {{{"role", "user"}, {"content", "a\nb"}}}}};
  });
  log.flush();
  CHECK(built_on != std::thread::id());
  CHECK(built_on != std::this_thread::get_id());
  std::string text = util::read_file(dir / "c" / "deferred.json");
  CHECK(text.find('\n') == text.size() - 1);
  CHECK(nlohmann::json::parse(text)["messages"][0]["content"] == "a\nb");
}

TEST_CASE("a record that cannot be built or has no valid id is skipped, not the others", "[log]") {
  testing::TempDir dir;
  conversations::ConversationLog log(dir / "c");
  log.append("broken", []() -> nlohmann::json { throw std::runtime_error("no"); });
  log.append(nlohmann::json{{"no-id", true}});
  log.append(nlohmann::json{{"id", "../escape"}});
  log.append(nlohmann::json{{"id", "fine"}});
  log.flush();
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir / "c")) ++files;
  CHECK(files == 1);
  CHECK(std::filesystem::exists(dir / "c" / "fine.json"));
  CHECK_FALSE(std::filesystem::exists(dir / "escape.json"));
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
      return nlohmann::json{{"id", id}};
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
  for (const char* id : {"r0", "r1", "r2", "r3"}) {
    CHECK(std::filesystem::exists(dir / "c" / (std::string(id) + ".json")));
  }
}

TEST_CASE("records gather before a write, but flush and shutdown do not wait for that", "[log]") {
  testing::TempDir dir;
  auto started = std::chrono::steady_clock::now();
  {
    conversations::ConversationLog log(dir / "c", {.gather = std::chrono::seconds(30)});
    log.append(nlohmann::json{{"id", "gathered"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(std::filesystem::exists(dir / "c" / "gathered.json"));  // still gathering
    log.flush();
    CHECK(std::filesystem::exists(dir / "c" / "gathered.json"));
    log.append(nlohmann::json{{"id", "at-exit"}});
  }
  CHECK(std::filesystem::exists(dir / "c" / "at-exit.json"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}
