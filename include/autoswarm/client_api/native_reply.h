// Reading the reply of an upstream that serves the client's protocol itself (vLLM, LM Studio
// and Ollama answer POST /v1/responses and POST /v1/messages; Ollama its own /api/chat and
// /api/generate): the proxy then relays the
// request and its reply as they are, and only reads the reply for the conversation log, which
// keeps every exchange as chat completions' reply whatever the protocol. Pure functions of
// JSON or bytes in: no sockets, no files; what they keep is bounded like a translated reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/llm/sse_parser.h"

namespace autoswarm::client_api {

// A whole native reply as a chat reply: a Response's `output` (message output_text, reasoning
// text, function_call items) or a Message's `content` (text, thinking, tool_use blocks), with
// the finish reason chat completions would give (stop, tool_calls, length, content_filter) and
// the usage. At most `max_kept_bytes` of text (content, reasoning, tool arguments) is kept; the
// rest is counted in cut_bytes. Anything unreadable is skipped: an empty reply, never a throw.
// Ollama's reply is one object with `done: true`: /api/chat's `message` (content, thinking,
// tool_calls) or /api/generate's `response` and `thinking`, its done_reason and eval counts.
// kChat has no native reply: an empty one.
llm::ChatResponse read_native_reply(Protocol protocol, const json& body, size_t max_kept_bytes = SIZE_MAX);

// Reads a native event stream as it is relayed, bytes split anywhere: Responses'
// response.output_item.added, response.output_text.delta, response.reasoning_text.delta,
// response.function_call_arguments.delta and the terminal response.completed / .incomplete /
// .failed; or Messages' message_start, content_block_start, content_block_delta (text_delta,
// thinking_delta, input_json_delta), message_delta and message_stop; and either's error event.
// Ollama streams NDJSON instead: one reply object per line, the last with `done: true`, or an
// {"error"} line; a line is bounded like an SSE line.
// Keeps at most `max_kept_bytes` of text like read_native_reply, and a bounded share per tool
// call, so a stream's memory does not grow with the upstream's reply.
class NativeStreamReader {
 public:
  NativeStreamReader(Protocol protocol, size_t max_kept_bytes = SIZE_MAX);

  // The next bytes of the stream, as the upstream sent them.
  void feed(std::string_view bytes);
  // The stream ended (an event without its final blank line still counts).
  void finish();

  // The reply so far; complete once the protocol's terminal event arrived.
  llm::ChatResponse reply() const;
  // The terminal event (response.completed / .incomplete / .failed, message_stop) arrived.
  bool ended() const { return ended_; }
  // What an error event (or response.failed) said, "" when none came.
  const std::string& error() const { return error_; }

 private:
  void on_event(llm::SseEvent&& event);
  void feed_ndjson(std::string_view bytes);  // Ollama's protocols
  void on_ndjson_line(std::string_view line);
  void on_responses_event(const std::string& type, const json& data);
  void on_messages_event(const std::string& type, const json& data);
  // The tool call at a Responses output_index / Messages block index, opening it when new
  // (nullptr once the budget for calls is spent).
  llm::ToolCall* open_call(int64_t index, const std::string& id, const std::string& name);
  llm::ToolCall* call_at(int64_t index);
  void append(std::string& out, std::string_view text);

  Protocol protocol_;
  llm::SseParser parser_;
  llm::ChatResponse reply_;
  std::map<int64_t, size_t> calls_;  // output_index / block index -> reply_.tool_calls index
  size_t text_left_;
  bool ended_ = false;
  size_t pending_bytes_ = 0;  // fed since the last whole event
  bool broken_ = false;       // an event past SseParser's bound: the rest is not read
  std::string line_;          // Ollama: the NDJSON line still arriving
  std::string error_;
  // Messages' usage fields as the latest event that carried each (counts are cumulative);
  // null until one did.
  json messages_usage_;
};

}  // namespace autoswarm::client_api
