// The conversation log: one JSON file per chat completion in <data dir>/conversations/, mode
// 0600, written atomically by a background thread so that logging never delays a reply.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace autoswarm::conversations {

// A new conversation id: UTC time to the millisecond plus random hex, so that ids sort by
// time and never collide ("20261129T140102.123Z-8c1d3e").
std::string new_conversation_id();

class ConversationLog {
 public:
  // Creates `dir` (mode 0700) if needed and starts the writer thread.
  explicit ConversationLog(std::filesystem::path dir);
  // Writes everything still queued, then stops.
  ~ConversationLog();
  ConversationLog(const ConversationLog&) = delete;
  ConversationLog& operator=(const ConversationLog&) = delete;

  // Queues `record` (which must hold a string "id") to be written as <id>.json. Never blocks
  // on the disk. A write that fails is reported on the log, not to the caller.
  void append(nlohmann::json record);
  // Blocks until every record appended so far is on disk.
  void flush();

  const std::filesystem::path& directory() const { return dir_; }

 private:
  void write_loop();

  std::filesystem::path dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> queue_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace autoswarm::conversations
