// Chat completion requests and replies in the shape every feature uses. Messages and tools stay
// JSON so that whatever a client sends (images, reasoning fields, vendor extras) passes through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoswarm::llm {

using nlohmann::json;

// Token counts reported by the upstream for one call.
struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  std::optional<int64_t> cached_tokens;  // usage.prompt_tokens_details.cached_tokens, if sent
  bool reported = false;                 // false when the upstream sent no usage at all

  static Usage from_json(const json& usage);
  json to_json() const;
};

// One complete tool call. `arguments` is the raw JSON text the model produced; when it parses,
// `parsed_arguments` holds it, otherwise `arguments_error` says why (the caller decides what to
// do — a bench agent hands the error back to the model as the tool result).
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
  json parsed_arguments;
  std::string arguments_error;

  bool arguments_ok() const { return arguments_error.empty(); }
  // {"id","type":"function","function":{"name","arguments"}} as in an assistant message.
  json to_json() const;
};

struct ChatRequest {
  std::string model;
  json messages = json::array();
  json tools;                          // null: none offered
  json tool_choice;                    // null: not sent
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  json extra = json::object();         // every other request field, passed through untouched

  // The request body. Streaming adds "stream": true and stream_options.include_usage.
  json to_json(bool stream) const;
  // Splits a client's body into the known fields and `extra`.
  static ChatRequest from_json(const json& body);
};

struct ChatResponse {
  std::string id;
  std::string model;
  std::string content;
  std::string reasoning_content;       // "reasoning_content" / "reasoning", where servers send it
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;
  Usage usage;
  bool cancelled = false;              // the caller stopped a stream early
  size_t cut_bytes = 0;                // text past the assembler's limit, not kept (see ClientOptions)

  // The assistant message to append to a conversation.
  json message() const;
  // Parses a non-streaming /v1/chat/completions body. Throws ProtocolError when it has no choice.
  static ChatResponse from_json(const json& body);
};

// What is wrong with a list of chat messages, naming the field ("messages[2].role must be a
// string (got number)"), or empty when every message is an object with a string role and a
// content that is a string, a list of part objects or null. Checked where messages come in
// (the proxy's door, a conversation record read back), so no later reader meets a bad one.
std::string messages_problem(const json& messages);
// The same for a chat completions request body: an object with such messages, and a string
// `model`, a boolean `stream` and an object `stream_options` where present.
std::string chat_request_problem(const json& body);

// Parses tool-call argument text into `call.parsed_arguments` or `call.arguments_error`.
// Empty text means "no arguments" ({}), as several servers send for parameterless tools.
void parse_tool_arguments(ToolCall& call);

}  // namespace autoswarm::llm
