#include "autoswarm/llm/sse_parser.h"

#include "autoswarm/llm/errors.h"

namespace autoswarm::llm {

void SseParser::feed(std::string_view bytes, const Handler& on_event) {
  if (!started_ && !bytes.empty()) {
    // A UTF-8 byte-order mark may precede the first line; it can itself arrive split.
    line_.append(bytes);
    if (line_.size() < 3 && std::string_view("\xEF\xBB\xBF").starts_with(line_)) return;
    started_ = true;
    std::string head = std::move(line_);
    line_.clear();
    if (std::string_view(head).starts_with("\xEF\xBB\xBF")) head.erase(0, 3);
    feed(head, on_event);
    return;
  }
  size_t pos = 0;
  if (skip_lf_ && !bytes.empty()) {
    if (bytes[0] == '\n') pos = 1;
    skip_lf_ = false;
  }
  while (pos < bytes.size()) {
    size_t end = bytes.find_first_of("\r\n", pos);
    // The limit holds whether or not the line's end arrives in this same feed.
    size_t line_end = end == std::string_view::npos ? bytes.size() : end;
    if (line_.size() + (line_end - pos) > kMaxLineBytes) {
      throw ProtocolError("an event-stream line is longer than " +
                          std::to_string(kMaxLineBytes) + " bytes");
    }
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      return;
    }
    if (line_.empty()) {
      process_line(bytes.substr(pos, end - pos), on_event);
    } else {
      line_.append(bytes.substr(pos, end - pos));
      std::string line = std::move(line_);
      line_.clear();
      process_line(line, on_event);
    }
    if (bytes[end] == '\r') {
      if (end + 1 < bytes.size()) {
        if (bytes[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    pos = end + 1;
  }
}

void SseParser::finish(const Handler& on_event) {
  if (!line_.empty()) {
    std::string line = std::move(line_);
    line_.clear();
    process_line(line, on_event);
  }
  dispatch(on_event);
}

void SseParser::process_line(std::string_view line, const Handler& on_event) {
  if (line.empty()) {
    dispatch(on_event);
    return;
  }
  if (line[0] == ':') return;  // comment, e.g. ": keep-alive"
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id") {
    pending_.id.assign(value);
  }
  // "retry" and unknown fields are ignored, as the specification says.
}

void SseParser::dispatch(const Handler& on_event) {
  if (has_data_) {
    SseEvent event = std::move(pending_);
    on_event(std::move(event));
  }
  pending_ = SseEvent{};
  has_data_ = false;
}

}  // namespace autoswarm::llm
