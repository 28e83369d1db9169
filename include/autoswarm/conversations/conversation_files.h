// The files of the conversation log, and the one way to read them back.
//
// <data dir>/conversations/ holds
//
//   2026-11-29.jsonl     a segment: records logged on that UTC day (the day of the write), one
//                        compact JSON object per line ending in '\n', in the order written
//                        (ConversationLog in conversation_log.h; `conversations migrate`)
//   2026-11-29.1.jsonl   the day's next segments, each begun when a batch would take the one
//   2026-11-29.2.jsonl   before it past the segment limit (64 MiB by default); and so on
//   <id>.json            one record per file, as versions before segments wrote them: still
//                        read, and folded into segments by `autoswarm conversations migrate`
//   reviewed.jsonl       reflect's review ledger (review_ledger.h), not a segment
//
// Anything else is not read (hidden files, such as older versions' temp files; a user's notes).
// Segments are only appended to, a batch of whole lines per write(2). A crash during a write can
// leave a torn last line (no '\n'): every reader ignores it without a word and the next writer
// cuts it off before it appends.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/conversations/exchange_kind.h"

namespace autoswarm::conversations {

// A segment begins anew once the next batch would take it past this size.
inline constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;

// The longest record read or written: a line (or an older version's file) longer than this is
// skipped with a warning, never read into memory, and the writer drops such a record (it counts
// as not written) rather than write a line no reader takes. It leaves room for twice the
// largest request body `start` accepts by default (32 MiB; a translated request keeps the
// client's body beside the chat one) plus the reply.
inline constexpr size_t kMaxRecordBytes = 128u << 20;

// A segment's file name: "2026-11-29.jsonl" (part 0), "2026-11-29.3.jsonl" (part 3).
struct SegmentName {
  std::string day;    // "YYYY-MM-DD", UTC
  unsigned part = 0;

  std::string file_name() const;
  // Nothing for a name that is not a segment's (reviewed.jsonl, <id>.json, "2026-11-29.x.jsonl").
  static std::optional<SegmentName> parse(std::string_view file_name);
  // Oldest first: by day, then part.
  auto operator<=>(const SegmentName&) const = default;
};

// The segments in `dir`, oldest first. A missing directory has none; one that cannot be listed
// throws FileError.
std::vector<SegmentName> list_segments(const std::filesystem::path& dir);

// The ids of the <id>.json files (older versions' records) in `dir`, in id order (ids sort by
// time). Hidden files and anything that is not a regular file are left out.
std::vector<std::string> list_legacy_record_ids(const std::filesystem::path& dir);

// One logged chat completion (src/proxy/exchange_log.cpp writes the record).
struct Conversation {
  std::string id;
  std::string started_at;
  std::string model;
  int status = 0;                            // HTTP status the client got
  std::string error;                         // why the call failed, "" when it did not
  nlohmann::json messages = nlohmann::json::array();  // as the client sent them
  std::string reply_content;
  nlohmann::json reply_tool_calls = nlohmann::json::array();
  std::string finish_reason;
  std::vector<std::string> injected_skills;  // ids of the skills the proxy injected
  bool client_disconnected = false;
  ExchangeKind kind = ExchangeKind::kChat;   // records without a kind (older versions): chats

  // The call failed (status not 2xx, or an error recorded): nothing to learn from its reply.
  bool failed() const { return status < 200 || status >= 300 || !error.empty(); }

  // Reads a record. Throws FileError naming `origin` when it is not a conversation record.
  static Conversation from_json(const nlohmann::json& record, const std::string& origin);
};

// Reads a record from its text (a line, or an older version's file). Throws FileError naming
// `origin` when it is not JSON or not a conversation record.
Conversation parse_conversation(std::string_view text, const std::string& origin);

// Where a record is: a line of a segment, or an older version's whole file.
struct RecordLocation {
  std::filesystem::path file;
  size_t line = 0;      // 1-based line of a segment; 0 for a whole file
  uint64_t offset = 0;  // where the line starts in the segment
  uint64_t length = 0;  // the line's bytes, without its '\n'; a whole file's size

  // "…/2026-11-29.jsonl:12" for a line, "…/<id>.json" for a file: what warnings name.
  std::string origin() const;
};

// A record as read, with where it is.
struct LoggedRecord {
  std::string id;         // a segment line's "id"; an older version's file name without .json
  RecordLocation where;
  nlohmann::json record;  // the whole record, a JSON object
};

struct ReadOptions {
  bool segments = true;      // read the segments
  bool legacy_files = true;  // read older versions' <id>.json files
  size_t max_record_bytes = kMaxRecordBytes;
  size_t read_chunk_bytes = 1u << 20;  // how much of a segment is read at a time
};

// Calls `visit` for every record in `dir`, oldest first: older versions' files in id order
// (they predate every segment), then the segments oldest first, each line in the order written.
// An id is visited once: a later copy (a migration interrupted between writing a segment and
// removing the files it holds) is passed over. Skipped with a warning naming the file (and
// line), while the rest is read: what is not JSON, not an object or has no "id" string, and
// what is longer than max_record_bytes (never read whole). Skipped without one: blank lines and
// a segment's torn last line. A file that cannot be read is warned about and skipped; a missing
// directory has no records; one that cannot be listed throws FileError.
void for_each_record(const std::filesystem::path& dir, const std::function<void(LoggedRecord&)>& visit,
                     const ReadOptions& options = {});

// A record's id and location, without its contents: what a long run lists first, to load the
// records one at a time (load_conversation) rather than hold them all.
struct RecordRef {
  std::string id;
  RecordLocation where;
};
// for_each_record's records, in its order.
std::vector<RecordRef> list_records(const std::filesystem::path& dir, const ReadOptions& options = {});

// Reads the record at `ref` again. Throws FileError naming ref.where.origin() when it cannot be
// read, is no longer that record, or is not a conversation record.
Conversation load_conversation(const RecordRef& ref);

}  // namespace autoswarm::conversations
