// Rebuilds a whole reply from streamed chat-completion chunks: the text, the tool calls (from
// fragments keyed by index, LM Studio style, or whole in one chunk, Ollama style), the finish
// reason and the usage chunk. The one place that knows how deltas combine.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "autoswarm/llm/chat.h"

namespace autoswarm::llm {

// Joins tool-call deltas: `choices[0].delta.tool_calls[]` items {index, id?, type?,
// function:{name?, arguments?}}. A delta without index continues the most recent call.
class ToolCallAssembler {
 public:
  void add(const json& tool_call_delta);
  bool empty() const { return calls_.empty(); }
  // The complete calls in index order, each with its arguments parsed (see ToolCall).
  std::vector<ToolCall> finish() const;

 private:
  std::map<int64_t, ToolCall> calls_;
  int64_t last_index_ = 0;
};

class StreamAssembler {
 public:
  // Takes one parsed chunk (the JSON of one "data:" event other than [DONE]).
  void add(const json& chunk);
  // The reply so far; complete once the stream ended.
  ChatResponse result() const;

 private:
  ChatResponse reply_;
  ToolCallAssembler tool_calls_;
};

}  // namespace autoswarm::llm
