// The one incremental parser for server-sent events (text/event-stream), as every
// OpenAI-compatible server streams them. Bytes may arrive split at any offset; lines may end in
// "\r\n", "\n" or "\r"; ":" lines are comments; several "data:" lines join with "\n".
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace autoswarm::llm {

struct SseEvent {
  std::string event;  // the "event:" field, empty when absent
  std::string data;   // the "data:" lines joined with "\n"
  std::string id;     // the "id:" field, empty when absent
};

class SseParser {
 public:
  using Handler = std::function<void(SseEvent&&)>;

  // Consumes the next bytes of the stream, calling `on_event` for every event they complete.
  // Throws ProtocolError when a single line grows past `max_line_bytes`.
  void feed(std::string_view bytes, const Handler& on_event);

  // The stream ended. An event whose blank line never came is still delivered: some servers
  // close right after their last "data:" line.
  void finish(const Handler& on_event);

  static constexpr size_t kMaxLineBytes = 16 * 1024 * 1024;

 private:
  void process_line(std::string_view line, const Handler& on_event);
  void dispatch(const Handler& on_event);

  std::string line_;            // the current, incomplete line
  bool skip_lf_ = false;        // the previous chunk ended in "\r": a leading "\n" belongs to it
  bool started_ = false;        // a leading byte-order mark has been checked for
  bool has_data_ = false;
  SseEvent pending_;
};

}  // namespace autoswarm::llm
