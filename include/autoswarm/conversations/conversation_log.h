// The conversation log: one JSON file per chat completion in <data dir>/conversations/, mode
// 0600, written atomically by a background thread so that logging never delays a reply.
//
// The request that produces a record only moves its parts into a closure; the writer thread
// builds the JSON, serialises it and writes whole batches of files with one file-system sync
// (util::write_files_atomic). The queue is bounded: when the disk falls that far behind, append()
// waits for room rather than dropping a record or growing without limit.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace autoswarm::conversations {

// A new conversation id: UTC time to the millisecond plus random hex, so that ids sort by
// time and never collide ("20261129T140102.123Z-8c1d3e").
std::string new_conversation_id();

struct ConversationLogOptions {
  size_t max_queued = 1024;  // records waiting for the disk before append() blocks
  size_t max_batch = 256;    // records written per file-system sync
  // How long the writer lets records gather before it writes them (unless a batch is full or
  // flush() asks). Each batch ends in a sync of the file system (syncfs: it also flushes other
  // programs' pending writes), so a sync per request would mean a journal commit per request,
  // stalling every other writer on the disk, the access log included; this caps it at 5/s.
  std::chrono::milliseconds gather{200};
};

class ConversationLog {
 public:
  // Builds a record's JSON; runs on the writer thread.
  using RecordBuilder = std::function<nlohmann::json()>;

  // Creates `dir` (mode 0700) if needed and starts the writer thread.
  explicit ConversationLog(std::filesystem::path dir, ConversationLogOptions options = {});
  // Writes everything still queued, then stops.
  ~ConversationLog();
  ConversationLog(const ConversationLog&) = delete;
  ConversationLog& operator=(const ConversationLog&) = delete;

  // Queues the record `build` returns, to be written as <id>.json. Returns at once unless
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
  void note_dropped(const std::string& why);
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace autoswarm::conversations
