#include "autoswarm/conversations/conversation_log.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"
#include "segment_appender.h"

namespace autoswarm::conversations {
namespace {

constexpr auto kTrimAfterQuiet = std::chrono::seconds(1);

}  // namespace

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

ConversationLog::ConversationLog(std::filesystem::path dir, ConversationLogOptions options)
    : dir_(std::move(dir)), options_(options) {
  if (options_.max_queued == 0) options_.max_queued = 1;
  if (options_.max_batch == 0) options_.max_batch = 1;
  util::ensure_directory(dir_, 0700);
  segments_ = std::make_unique<SegmentAppender>(dir_, options_.segment_bytes);
  writer_ = std::thread([this] { write_loop(); });
}

ConversationLog::Dropped ConversationLog::dropped() const {
  std::lock_guard lock(dropped_mu_);
  return dropped_;
}

void ConversationLog::note_dropped(const std::string& why, size_t count) {
  std::lock_guard lock(dropped_mu_);
  dropped_.count += count;
  dropped_.last_error = why;
}

ConversationLog::~ConversationLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  writer_cv_.notify_all();
  writer_.join();
}

void ConversationLog::append(std::string id, RecordBuilder build) {
  bool wake = false;
  {
    std::unique_lock lock(mu_);
    if (queue_.size() >= options_.max_queued) {
      if (!warned_full_) {
        spdlog::warn("the conversation log is {} records behind the disk ({}); replies wait for it",
                     queue_.size(), dir_.string());
        warned_full_ = true;
      }
      done_cv_.wait(lock, [&] { return queue_.size() < options_.max_queued; });
    }
    queue_.push_back({std::move(id), std::move(build)});
    // A wake-up per record would cost a context switch per request; the writer only needs one
    // to start gathering, and one when a batch is full.
    wake = queue_.size() == 1 || queue_.size() == batch_threshold();
  }
  if (wake) writer_cv_.notify_one();
}

void ConversationLog::append(nlohmann::json record) {
  std::string id = record.is_object() ? record.value("id", std::string()) : std::string();
  append(std::move(id), [record = std::move(record)]() mutable { return std::move(record); });
}

void ConversationLog::flush() {
  std::unique_lock lock(mu_);
  ++flush_waiters_;
  writer_cv_.notify_one();  // the writer stops gathering
  done_cv_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
  --flush_waiters_;
}

void ConversationLog::write_loop() {
  // The writer yields the CPU to the threads answering requests: on a small machine its JSON
  // and file-system work would otherwise show up in their latency.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  std::unique_lock lock(mu_);
  auto has_work = [&] { return stopping_ || !queue_.empty(); };
  size_t written_since_trim = 0;
  for (;;) {
    if (written_since_trim == 0) {
      writer_cv_.wait(lock, has_work);
    } else if (!writer_cv_.wait_for(lock, kTrimAfterQuiet, has_work)) {
      // Quiet after a burst: hand back the memory the proxy's threads freed (glibc keeps it in
      // each thread arena's free lists), so an idle proxy stays small.
      lock.unlock();
      ::malloc_trim(0);
      lock.lock();
      written_since_trim = 0;
      continue;
    }
    if (queue_.empty() && stopping_) return;
    writer_cv_.wait_for(lock, options_.gather, [&] {
      return stopping_ || flush_waiters_ > 0 || queue_.size() >= batch_threshold();
    });
    std::deque<Pending> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    in_flight_ = batch.size();
    written_since_trim += batch.size();
    lock.unlock();
    done_cv_.notify_all();  // room in the queue again
    write_batch(batch);
    batch.clear();
    lock.lock();
    in_flight_ = 0;
    if (queue_.empty()) warned_full_ = false;
    done_cv_.notify_all();
  }
}

void ConversationLog::write_batch(std::deque<Pending>& batch) {
  std::string lines;
  size_t records = 0;
  for (Pending& p : batch) {
    try {
      if (p.id.empty() || p.id.find('/') != std::string::npos || p.id.front() == '.') {
        throw std::runtime_error("record without a valid id");
      }
      nlohmann::json record = p.build();
      if (!record.is_object()) throw std::runtime_error("the record is not a JSON object");
      record["id"] = p.id;
      // Invalid UTF-8 from a client must not lose the record: replace it rather than throw.
      std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (line.size() > options_.max_record_bytes) {
        throw std::runtime_error("the record is " + std::to_string(line.size()) + " bytes, more than the " +
                                 std::to_string(options_.max_record_bytes) + " a record may have");
      }
      lines.append(line).push_back('\n');
      ++records;
    } catch (const std::exception& e) {
      spdlog::error("could not log conversation {}: {}", p.id, e.what());
      note_dropped(e.what());
    }
    p.build = nullptr;  // the record's parts are not needed past this point
  }
  if (records == 0) return;
  try {
    segments_->append(util::utc_timestamp().substr(0, 10), lines);
  } catch (const std::exception& e) {
    spdlog::error("could not log {} conversation{}: {}", records, records == 1 ? "" : "s", e.what());
    note_dropped(e.what(), records);
  }
}

}  // namespace autoswarm::conversations
