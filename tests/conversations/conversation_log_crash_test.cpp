// The conversation log under SIGKILL: a child process appends records as fast as it can and is
// killed at random moments, again and again, in the same directory. Whatever the moment, the
// segments hold whole lines that parse, no record twice, and a torn tail the next writer cuts.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "autoswarm/conversations/conversation_log.h"
#include "autoswarm/util/files.h"
#include "conversations/segment_test_support.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using nlohmann::json;

namespace {

constexpr int kKills = 10;
constexpr uint64_t kSegmentBytes = 32 * 1024;  // small, so that kills also land around a rollover

// The child: appends records until killed (or, bounded, after 10 s), never returns.
[[noreturn]] void append_until_killed(const std::filesystem::path& dir, int round) {
  {
    conversations::ConversationLog log(dir, {.gather = std::chrono::milliseconds(1), .segment_bytes = kSegmentBytes});
    std::minstd_rand pad(static_cast<unsigned>(round));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int i = 0; i < 1000000 && std::chrono::steady_clock::now() < deadline; ++i) {
      log.append({{"id", "r" + std::to_string(round) + "-" + std::to_string(i)}, {"pad", std::string(pad() % 400, 'x')}});
    }
  }
  ::_exit(0);
}

}  // namespace

TEST_CASE("a writer killed at random moments leaves whole lines that parse and no record twice", "[log][crash]") {
  testing::TempDir tmp;
  const auto dir = tmp / "conversations";
  const unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < kKills; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) append_until_killed(dir, round);
    // The moment only decides where the cut falls; every outcome must pass the checks below.
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % 200));
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
  }
  {
    conversations::ConversationLog log(dir);  // the next writer
    log.append({{"id", "after"}});
  }

  // On disk: every whole line of every segment is a record, and no id comes twice.
  std::set<std::string> ids;
  size_t lines = 0;
  const auto segments = conversations::list_segments(dir);
  REQUIRE_FALSE(segments.empty());
  for (const auto& s : segments) {
    const auto file = dir / s.file_name();
    const std::string text = util::read_file(file);
    INFO(s.file_name());
    CHECK(text.back() == '\n');  // torn tails were cut by the writer that came next
    for (const std::string& line : testing::segment_lines(file)) {
      ++lines;
      const json record = json::parse(line, nullptr, false);
      REQUIRE(record.is_object());
      CHECK(ids.insert(record["id"].get<std::string>()).second);
    }
  }
  CHECK(ids.contains("after"));
  // The reader yields the same records, "after" last.
  const auto read = testing::record_ids(dir);
  CHECK(read.size() == lines);
  CHECK(read.back() == "after");
}
