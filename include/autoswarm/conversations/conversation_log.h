// The conversation log: one line of JSON per chat completion, appended to the day's segment in
// <data dir>/conversations/ (conversation_files.h has the layout and the reader), mode 0600, by
// a background thread so that logging never delays a reply.
//
// The request that produces a record only moves its parts into a closure; the writer thread
// builds the JSON, serialises it and appends a whole batch of lines with one write(2) and one
// fdatasync: no file per record, no rename, no sync of the whole file system. A crash leaves
// whole lines and at most a torn last one, which readers ignore and the next writer cuts off.
// The queue is bounded: when the disk falls that far behind, append() waits for room rather than
// dropping a record or growing without limit.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "autoswarm/conversations/conversation_files.h"

namespace autoswarm::conversations {

class SegmentAppender;

// A new conversation id: UTC time to the millisecond plus random hex, so that ids sort by
// time and never collide ("20261129T140102.123Z-8c1d3e").
std::string new_conversation_id();

struct ConversationLogOptions {
  size_t max_queued = 1024;  // records waiting for the disk before append() blocks
  size_t max_batch = 256;    // records per write (and fdatasync)
  // How long the writer lets records gather before it writes them (unless a batch is full or
  // flush() asks). Each batch ends in an fdatasync, a journal commit when the segment grew; one
  // per request would stall every other writer on the disk, the access log included.
  std::chrono::milliseconds gather{200};
  uint64_t segment_bytes = kDefaultSegmentBytes;  // a new segment of the day past this
  size_t max_record_bytes = kMaxRecordBytes;      // a longer record is dropped, not written
};

class ConversationLog {
 public:
  // Builds a record's JSON; runs on the writer thread.
  using RecordBuilder = std::function<nlohmann::json()>;

  // Creates `dir` (mode 0700) if needed and starts the writer thread. Throws FileError when the
  // directory cannot be created.
  explicit ConversationLog(std::filesystem::path dir, ConversationLogOptions options = {});
  // Writes everything still queued, then stops.
  ~ConversationLog();
  ConversationLog(const ConversationLog&) = delete;
  ConversationLog& operator=(const ConversationLog&) = delete;

  // Queues the record `build` returns, written with "id" set to `id`. Returns at once unless
  // `max_queued` records are already waiting. A write that fails (or a builder that throws) is
  // reported on the log, not to the caller.
  void append(std::string id, RecordBuilder build);
  // The same for a record already built; it must hold a string "id".
  void append(nlohmann::json record);
  // Blocks until every record appended so far is on disk.
  void flush();

  const std::filesystem::path& directory() const { return dir_; }

  // Records that could not be written since the start (a full or unwritable disk), and why the
  // last one failed: the proxy's /health reports them instead of a plain "ok".
  struct Dropped {
    size_t count = 0;
    std::string last_error;
  };
  Dropped dropped() const;

 private:
  struct Pending {
    std::string id;
    RecordBuilder build;
  };
  // Queue length at which the writer stops gathering and writes at once.
  size_t batch_threshold() const { return std::min(options_.max_batch, options_.max_queued); }
  void write_loop();
  void write_batch(std::deque<Pending>& batch);
  std::unique_ptr<SegmentAppender> segments_;  // used by the writer thread only

  std::filesystem::path dir_;
  ConversationLogOptions options_;
  std::mutex mu_;
  std::condition_variable writer_cv_;  // the writer waits for records (woken only when it must)
  std::condition_variable done_cv_;    // appenders wait for room, flush() for an empty queue
  std::deque<Pending> queue_;
  size_t in_flight_ = 0;
  size_t flush_waiters_ = 0;
  bool warned_full_ = false;
  mutable std::mutex dropped_mu_;
  Dropped dropped_;
  void note_dropped(const std::string& why, size_t count = 1);
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace autoswarm::conversations
