// Rebuilds a whole reply from streamed chat-completion chunks: the text, the tool calls (from
// fragments keyed by index, LM Studio style, or whole in one chunk, Ollama style), the finish
// reason and the usage chunk. The one place that knows how deltas combine.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "autoswarm/llm/chat.h"

namespace autoswarm::llm {

// Joins tool-call deltas: `choices[0].delta.tool_calls[]` items {index, id?, type?,
// function:{name?, arguments?}}. A delta without index continues the most recent call.
class ToolCallAssembler {
 public:
  // `text_left` (when given) is the byte budget for arguments, shared with the reply's text;
  // arguments past it are dropped and counted in `*cut_bytes`.
  void add(const json& tool_call_delta, size_t* text_left = nullptr, size_t* cut_bytes = nullptr);
  bool empty() const { return calls_.empty(); }
  // The complete calls in index order, each with its arguments parsed (see ToolCall).
  std::vector<ToolCall> finish() const;

 private:
  std::map<int64_t, ToolCall> calls_;
  int64_t last_index_ = 0;
};

class StreamAssembler {
 public:
  // Keeps at most `max_text_bytes` of content, reasoning and tool arguments together (cut on a
  // UTF-8 boundary); the bytes past it are counted in the result's `cut_bytes`.
  explicit StreamAssembler(size_t max_text_bytes = SIZE_MAX) : text_left_(max_text_bytes) {}
  // Takes one parsed chunk (the JSON of one "data:" event other than [DONE]).
  void add(const json& chunk);
  // The reply so far; complete once the stream ended.
  ChatResponse result() const;

 private:
  // Appends what still fits of `text` to `out`.
  void append_bounded(std::string& out, std::string_view text);

  ChatResponse reply_;
  ToolCallAssembler tool_calls_;
  size_t text_left_;
};

}  // namespace autoswarm::llm
