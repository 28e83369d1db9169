#include "autoswarm/conversations/conversation_log.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <random>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::conversations {

std::string new_conversation_id() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03dZ-%06x", stamp, static_cast<int>(millis),
                static_cast<unsigned>(rng() & 0xffffff));
  return out;
}

ConversationLog::ConversationLog(std::filesystem::path dir) : dir_(std::move(dir)) {
  util::ensure_directory(dir_, 0700);
  writer_ = std::thread([this] { write_loop(); });
}

ConversationLog::~ConversationLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void ConversationLog::append(nlohmann::json record) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(record));
  }
  cv_.notify_all();
}

void ConversationLog::flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
}

void ConversationLog::write_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    nlohmann::json record = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    std::string id = record.value("id", std::string());
    try {
      if (id.empty() || id.find('/') != std::string::npos) throw Error("record without a valid id");
      // Invalid UTF-8 from a client must not lose the record: replace it rather than throw.
      util::write_file_atomic(dir_ / (id + ".json"),
                              record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                              0600);
    } catch (const std::exception& e) {
      spdlog::error("could not log conversation {}: {}", id, e.what());
    }
    lock.lock();
    --in_flight_;
    cv_.notify_all();
  }
}

}  // namespace autoswarm::conversations
