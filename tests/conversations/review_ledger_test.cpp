#include "autoswarm/conversations/review_ledger.h"

#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using autoswarm::conversations::parse_outcome;
using autoswarm::conversations::ReviewLedger;
using autoswarm::conversations::ReviewOutcome;
using autoswarm::testing::TempDir;
using autoswarm::util::read_file;
using nlohmann::json;

TEST_CASE("review marks persist, once per conversation, with injection counts", "[conversations]") {
  TempDir dir;
  {
    ReviewLedger ledger(dir / "reviewed.jsonl", std::chrono::milliseconds(0));
    CHECK_FALSE(ledger.contains("c1"));
    ledger.mark({"c1", "2026-01-01T00:00:00Z", ReviewOutcome::kSkipped, "", "no lesson", {"sk-1", "sk-2"}});
    ledger.mark({"c2", "2026-01-01T00:00:01Z", ReviewOutcome::kAdded, "sk-3", "", {"sk-1"}});
    ledger.mark({"c1", "2026-01-01T00:00:02Z", ReviewOutcome::kAdded, "sk-9", "", {}});  // already reviewed: ignored
    CHECK(ledger.size() == 2);
  }
  const std::string text = read_file(dir / "reviewed.jsonl");
  CHECK(text ==
        "{\"id\":\"c1\",\"at\":\"2026-01-01T00:00:00Z\",\"outcome\":\"skipped\",\"reason\":\"no lesson\","
        "\"injected\":[\"sk-1\",\"sk-2\"]}\n"
        "{\"id\":\"c2\",\"at\":\"2026-01-01T00:00:01Z\",\"outcome\":\"added\",\"skill\":\"sk-3\",\"injected\":[\"sk-1\"]}\n");
  ReviewLedger again(dir / "reviewed.jsonl");
  CHECK(again.contains("c1"));
  CHECK(again.contains("c2"));
  CHECK(again.marks()[1].skill_id == "sk-3");
  auto counts = again.injection_counts();
  CHECK(counts["sk-1"] == 2);
  CHECK(counts["sk-2"] == 1);
}

TEST_CASE("a torn last line is ignored and does not swallow the next mark", "[conversations]") {
  TempDir dir;
  std::ofstream(dir / "reviewed.jsonl") << "{\"id\":\"c1\",\"outcome\":\"skipped\"}\n{\"id\":\"c2\",\"outc";
  {
    ReviewLedger ledger(dir / "reviewed.jsonl");
    CHECK(ledger.contains("c1"));
    CHECK_FALSE(ledger.contains("c2"));
    ledger.mark({"c2", "t", ReviewOutcome::kSkipped, "", "", {}});
  }
  ReviewLedger again(dir / "reviewed.jsonl");
  CHECK(again.contains("c2"));
  CHECK(again.size() == 2);
}

TEST_CASE("an unparsable attempt is counted, not a review, and an unknown outcome is not a review", "[conversations]") {
  TempDir dir;
  {
    ReviewLedger ledger(dir / "reviewed.jsonl", std::chrono::milliseconds(0));
    ledger.mark({"c1", "t1", ReviewOutcome::kUnparsable, "", "no JSON object", {}});
    ledger.mark({"c1", "t2", ReviewOutcome::kUnparsable, "", "no JSON object", {}});
    CHECK_FALSE(ledger.contains("c1"));
    CHECK(ledger.unparsable_attempts("c1") == 2);
    CHECK(ledger.size() == 0);
  }
  std::ofstream(dir / "reviewed.jsonl", std::ios::app) << "{\"id\":\"c2\",\"outcome\":\"maybe\"}\n";
  ReviewLedger again(dir / "reviewed.jsonl");
  CHECK(again.unparsable_attempts("c1") == 2);
  CHECK_FALSE(again.contains("c1"));
  CHECK_FALSE(again.contains("c2"));
  CHECK(parse_outcome("unparsable") == ReviewOutcome::kUnparsable);
  CHECK_FALSE(parse_outcome("Added").has_value());
}
