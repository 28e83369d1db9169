// Which conversations reflect has reviewed, and what came of each: `reviewed.jsonl` in the
// conversations directory, one JSON line per conversation, only ever appended.
//
//   {"id":"20261129T140102.123Z-8c1d3e","at":"2026-11-29T15:00:00Z","outcome":"added",
//    "skill":"sk-3f2a9c","reason":"...","injected":["sk-77aa01"]}
//
// An "unparsable" line is an attempt, not a review: the model's answer for that conversation
// could not be read, and a later run asks again (reflect gives up after a few such lines).
//
// A line goes to the file in one write(2) on an O_APPEND descriptor, so a process killed at
// any point leaves whole lines (the kernel keeps what was written). Lines are fsynced in groups
// (at most `sync_interval` apart, and by sync()) so a power cut loses at most the last moments,
// which are then simply reviewed again. A torn last line (power cut mid-write) is ignored.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace autoswarm::conversations {

enum class ReviewOutcome {
  kAdded,       // a skill was learned from the conversation
  kSkipped,     // reviewed; nothing was learned (the reason says why)
  kUnparsable,  // not reviewed: the model's answer could not be read; asked again later
};
std::string_view outcome_name(ReviewOutcome outcome);  // "added", "skipped", "unparsable"
std::optional<ReviewOutcome> parse_outcome(std::string_view name);

struct ReviewMark {
  std::string conversation_id;
  std::string at;                     // UTC, ISO-8601
  ReviewOutcome outcome = ReviewOutcome::kSkipped;
  std::string skill_id;               // the skill added, for "added"
  std::string reason;                 // why skipped (or a note)
  std::vector<std::string> injected;  // the skills the proxy injected into that conversation
};

class ReviewLedger {
 public:
  // Reads `path` (missing: no marks). Malformed lines are skipped with a warning naming
  // file:line; those conversations are then reviewed again.
  explicit ReviewLedger(std::filesystem::path path,
                        std::chrono::milliseconds sync_interval = std::chrono::milliseconds(100));
  ~ReviewLedger();  // syncs
  ReviewLedger(const ReviewLedger&) = delete;
  ReviewLedger& operator=(const ReviewLedger&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Reviewed: marked added or skipped (an unparsable attempt is not a review).
  bool contains(const std::string& conversation_id) const;
  // How many answers for the conversation could not be read, in this run and earlier ones.
  size_t unparsable_attempts(const std::string& conversation_id) const;
  // The reviews (added or skipped), one per conversation, in the file's order.
  const std::vector<ReviewMark>& marks() const { return marks_; }
  size_t size() const { return marks_.size(); }

  // Appends one mark (creating the file, mode 0600); a conversation already reviewed is left as
  // it is. Throws FileError when it cannot write.
  void mark(ReviewMark m);
  // Makes every mark appended so far durable (fsync).
  void sync();

  // How many reviewed conversations each skill was injected into.
  std::unordered_map<std::string, int64_t> injection_counts() const;

 private:
  std::filesystem::path path_;
  std::chrono::milliseconds sync_interval_;
  std::vector<ReviewMark> marks_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_map<std::string, size_t> unparsable_;  // conversation id -> attempts
  int fd_ = -1;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_sync_{};
};

}  // namespace autoswarm::conversations
