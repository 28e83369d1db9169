#include "support/captured_log.h"

#include <algorithm>

#include <spdlog/sinks/base_sink.h>

namespace autoswarm::testing {

class CapturedLog::Sink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool wait_for(std::string_view text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::any_of(messages_.begin(), messages_.end(),
                         [&](const std::string& m) { return m.find(text) != std::string::npos; });
    });
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    {
      std::lock_guard lock(mu_);
      messages_.emplace_back(msg.payload.data(), msg.payload.size());
    }
    cv_.notify_all();
  }
  void flush_() override {}

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
};

CapturedLog::CapturedLog() : sink_(std::make_shared<Sink>()), previous_(spdlog::default_logger()) {
  auto logger = std::make_shared<spdlog::logger>("captured", sink_);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

CapturedLog::~CapturedLog() { spdlog::set_default_logger(previous_); }

bool CapturedLog::wait_for(std::string_view text, std::chrono::milliseconds timeout) {
  return sink_->wait_for(text, timeout);
}

std::vector<std::string> CapturedLog::messages() { return sink_->messages(); }

}  // namespace autoswarm::testing
