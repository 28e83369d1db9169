// What the code under test logs through spdlog, captured for assertions: while a CapturedLog
// lives, the default logger writes to it (and nowhere else).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

namespace autoswarm::testing {

class CapturedLog {
 public:
  CapturedLog();
  ~CapturedLog();  // restores the previous default logger
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // Waits up to `timeout` for a message containing `text`; true once one was logged.
  bool wait_for(std::string_view text, std::chrono::milliseconds timeout);
  std::vector<std::string> messages();

 private:
  class Sink;
  std::shared_ptr<Sink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace autoswarm::testing
