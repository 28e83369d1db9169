// Native Responses and Messages replies, whole or streamed, read into the chat reply the
// conversation log keeps. Only what the log needs is read (text, reasoning, tool calls, finish
// reason, usage); everything else the upstream sent reached the client as it was.
#include "autoswarm/client_api/native_reply.h"

#include "autoswarm/llm/errors.h"
#include "autoswarm/util/json.h"
#include "native_reply_parts.h"

#include <utility>

namespace autoswarm::client_api {
namespace {

using native::append_within;
using native::at;
using native::charge_call;
using native::int_at;
using native::text_at;

// Anthropic's usage as chat completions count it: its input_tokens leaves out cache reads and
// writes, which prompt_tokens includes.
llm::Usage messages_usage(const json& usage) {
  llm::Usage u;
  if (!usage.is_object()) return u;
  u.reported = true;
  const int64_t cache_read = int_at(usage, "cache_read_input_tokens").value_or(0);
  u.prompt_tokens = int_at(usage, "input_tokens").value_or(0) + cache_read +
                    int_at(usage, "cache_creation_input_tokens").value_or(0);
  u.completion_tokens = int_at(usage, "output_tokens").value_or(0);
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  if (usage.contains("cache_read_input_tokens")) u.cached_tokens = cache_read;
  return u;
}

// A stream's counts are cumulative: each event's fields replace the earlier ones.
void merge_messages_usage(json& into, const json& usage) {
  if (!usage.is_object()) return;
  for (const char* key : {"input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"}) {
    if (int_at(usage, key)) into[key] = usage[key];
  }
}

llm::Usage responses_usage(const json& usage) {
  llm::Usage u;
  if (!usage.is_object()) return u;
  u.reported = true;
  u.prompt_tokens = int_at(usage, "input_tokens").value_or(0);
  u.completion_tokens = int_at(usage, "output_tokens").value_or(0);
  u.total_tokens = int_at(usage, "total_tokens").value_or(u.prompt_tokens + u.completion_tokens);
  if (auto cached = int_at(at(usage, "input_tokens_details"), "cached_tokens")) u.cached_tokens = *cached;
  return u;
}

// Chat completions' finish reason for a Message's stop_reason.
std::string finish_for_stop_reason(const std::string& stop_reason) {
  if (stop_reason.empty()) return "";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

// Chat completions' finish reason for a finished Response; "" for one that failed or never
// finished.
std::string finish_for_response(const json& response, bool has_tool_calls) {
  const std::string status = text_at(response, "status");
  if (status == "completed") return has_tool_calls ? "tool_calls" : "stop";
  if (status == "incomplete") {
    return text_at(at(response, "incomplete_details"), "reason") == "content_filter" ? "content_filter" : "length";
  }
  return "";
}

// The text of a reasoning item: its reasoning_text parts, else its summary.
void append_reasoning_item(const json& item, llm::ChatResponse& r, size_t* left) {
  for (const char* list : {"content", "summary"}) {
    const json& parts = at(item, list);
    if (!parts.is_array()) continue;
    const size_t before = r.reasoning_content.size();
    for (const json& part : parts) append_within(r.reasoning_content, text_at(part, "text"), left, &r.cut_bytes);
    if (r.reasoning_content.size() > before) return;
  }
}

void read_response_output(const json& output, llm::ChatResponse& r, size_t* left) {
  if (!output.is_array()) return;
  for (const json& item : output) {
    const std::string type = text_at(item, "type");
    if (type == "message") {
      const json& parts = at(item, "content");
      if (!parts.is_array()) continue;
      for (const json& part : parts) {
        if (text_at(part, "type") == "output_text") append_within(r.content, text_at(part, "text"), left, &r.cut_bytes);
      }
    } else if (type == "reasoning") {
      append_reasoning_item(item, r, left);
    } else if (type == "function_call") {
      llm::ToolCall call;
      call.id = text_at(item, "call_id");
      call.name = text_at(item, "name");
      if (!charge_call(call.id, call.name, left, &r.cut_bytes)) continue;
      append_within(call.arguments, text_at(item, "arguments"), left, &r.cut_bytes);
      r.tool_calls.push_back(std::move(call));
    }
  }
}

llm::ChatResponse read_response(const json& body, size_t left) {
  llm::ChatResponse r;
  r.id = text_at(body, "id");
  r.model = text_at(body, "model");
  read_response_output(at(body, "output"), r, &left);
  r.finish_reason = finish_for_response(body, !r.tool_calls.empty());
  r.usage = responses_usage(at(body, "usage"));
  return r;
}

llm::ChatResponse read_message(const json& body, size_t left) {
  llm::ChatResponse r;
  r.id = text_at(body, "id");
  r.model = text_at(body, "model");
  const json& content = at(body, "content");
  if (content.is_array()) {
    for (const json& block : content) {
      const std::string type = text_at(block, "type");
      if (type == "text") {
        append_within(r.content, text_at(block, "text"), &left, &r.cut_bytes);
      } else if (type == "thinking") {
        append_within(r.reasoning_content, text_at(block, "thinking"), &left, &r.cut_bytes);
      } else if (type == "tool_use") {
        llm::ToolCall call;
        call.id = text_at(block, "id");
        call.name = text_at(block, "name");
        if (!charge_call(call.id, call.name, &left, &r.cut_bytes)) continue;
        const json& input = at(block, "input");
        if (!input.is_null()) append_within(call.arguments, native::dump(input), &left, &r.cut_bytes);
        r.tool_calls.push_back(std::move(call));
      }
    }
  }
  r.finish_reason = finish_for_stop_reason(text_at(body, "stop_reason"));
  r.usage = messages_usage(at(body, "usage"));
  return r;
}

// The message of an error event: Responses' {"type":"error","message"} or Messages'
// {"type":"error","error":{"message"}}.
std::string error_message(const json& data) {
  std::string message = text_at(data, "message");
  if (message.empty()) message = text_at(at(data, "error"), "message");
  return message.empty() ? "the upstream sent an error event" : message;
}

}  // namespace

llm::ChatResponse read_native_reply(Protocol protocol, const json& body, size_t max_kept_bytes) {
  llm::ChatResponse r;
  if (protocol == Protocol::kResponses) r = read_response(body, max_kept_bytes);
  else if (protocol == Protocol::kMessages) r = read_message(body, max_kept_bytes);
  else if (is_ollama(protocol)) {
    r = native::read_ollama_reply(protocol, body, max_kept_bytes);
  }
  for (llm::ToolCall& call : r.tool_calls) llm::parse_tool_arguments(call);
  return r;
}

NativeStreamReader::NativeStreamReader(Protocol protocol, size_t max_kept_bytes)
    : protocol_(protocol), text_left_(max_kept_bytes) {}

void NativeStreamReader::feed(std::string_view bytes) {
  if (broken_ || ended_) return;
  if (is_ollama(protocol_)) return feed_ndjson(bytes);
  // SseParser bounds a line; an event of countless data lines is bounded here.
  pending_bytes_ += bytes.size();
  try {
    parser_.feed(bytes, [this](llm::SseEvent&& event) { on_event(std::move(event)); });
  } catch (const llm::ProtocolError&) {
    broken_ = true;
  }
  if (pending_bytes_ > llm::SseParser::kMaxLineBytes) broken_ = true;
}

void NativeStreamReader::finish() {
  if (broken_ || ended_) return;
  if (is_ollama(protocol_)) {
    if (!line_.empty()) on_ndjson_line(std::exchange(line_, {}));
    return;
  }
  parser_.finish([this](llm::SseEvent&& event) { on_event(std::move(event)); });
}

llm::ChatResponse NativeStreamReader::reply() const {
  llm::ChatResponse r = reply_;
  if (protocol_ == Protocol::kMessages && messages_usage_.is_object()) r.usage = messages_usage(messages_usage_);
  for (llm::ToolCall& call : r.tool_calls) llm::parse_tool_arguments(call);
  return r;
}

void NativeStreamReader::on_event(llm::SseEvent&& event) {
  pending_bytes_ = 0;
  if (ended_) return;
  const json data = util::try_parse_json(event.data);
  if (!data.is_object()) return;
  std::string type = text_at(data, "type");
  if (type.empty()) type = event.event;
  if (type == "error") {
    error_ = error_message(data);
    return;
  }
  if (protocol_ == Protocol::kResponses) on_responses_event(type, data);
  else if (protocol_ == Protocol::kMessages) on_messages_event(type, data);
}

void NativeStreamReader::on_responses_event(const std::string& type, const json& data) {
  const int64_t index = int_at(data, "output_index").value_or(0);
  if (type == "response.created" || type == "response.in_progress") {
    reply_.id = text_at(at(data, "response"), "id");
    reply_.model = text_at(at(data, "response"), "model");
  } else if (type == "response.output_item.added" || type == "response.output_item.done") {
    const json& item = at(data, "item");
    if (text_at(item, "type") != "function_call") return;
    llm::ToolCall* call = call_at(index);
    if (!call && type == "response.output_item.added") {
      call = open_call(index, text_at(item, "call_id"), text_at(item, "name"));
    }
    // A server that sent no argument deltas has them whole in the finished item.
    if (call && call->arguments.empty()) append(call->arguments, text_at(item, "arguments"));
  } else if (type == "response.output_text.delta") {
    append(reply_.content, text_at(data, "delta"));
  } else if (type == "response.reasoning_text.delta" || type == "response.reasoning_summary_text.delta") {
    append(reply_.reasoning_content, text_at(data, "delta"));
  } else if (type == "response.function_call_arguments.delta") {
    if (llm::ToolCall* call = call_at(index)) append(call->arguments, text_at(data, "delta"));
    else reply_.cut_bytes += text_at(data, "delta").size();
  } else if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
    const json& response = at(data, "response");
    if (reply_.id.empty()) reply_.id = text_at(response, "id");
    if (reply_.model.empty()) reply_.model = text_at(response, "model");
    // A server that streamed no deltas still ends with the whole Response.
    if (reply_.content.empty() && reply_.tool_calls.empty() && reply_.reasoning_content.empty()) {
      read_response_output(at(response, "output"), reply_, &text_left_);
    }
    reply_.finish_reason = finish_for_response(response, !reply_.tool_calls.empty());
    reply_.usage = responses_usage(at(response, "usage"));
    if (type == "response.failed") {
      error_ = text_at(at(response, "error"), "message");
      if (error_.empty()) error_ = "the upstream's response failed";
    }
    ended_ = true;
  }
}

void NativeStreamReader::on_messages_event(const std::string& type, const json& data) {
  const int64_t index = int_at(data, "index").value_or(0);
  if (type == "message_start") {
    const json& message = at(data, "message");
    reply_.id = text_at(message, "id");
    reply_.model = text_at(message, "model");
    merge_messages_usage(messages_usage_, at(message, "usage"));
  } else if (type == "content_block_start") {
    const json& block = at(data, "content_block");
    const std::string kind = text_at(block, "type");
    if (kind == "text") {
      append(reply_.content, text_at(block, "text"));
    } else if (kind == "thinking") {
      append(reply_.reasoning_content, text_at(block, "thinking"));
    } else if (kind == "tool_use") {
      llm::ToolCall* call = open_call(index, text_at(block, "id"), text_at(block, "name"));
      const json& input = at(block, "input");
      // Its input streams as input_json_delta; a start that already holds it has it whole.
      if (call && input.is_object() && !input.empty()) append(call->arguments, native::dump(input));
    }
  } else if (type == "content_block_delta") {
    const json& delta = at(data, "delta");
    const std::string kind = text_at(delta, "type");
    if (kind == "text_delta") {
      append(reply_.content, text_at(delta, "text"));
    } else if (kind == "thinking_delta") {
      append(reply_.reasoning_content, text_at(delta, "thinking"));
    } else if (kind == "input_json_delta") {
      if (llm::ToolCall* call = call_at(index)) append(call->arguments, text_at(delta, "partial_json"));
      else reply_.cut_bytes += text_at(delta, "partial_json").size();
    }
  } else if (type == "message_delta") {
    const std::string stop_reason = text_at(at(data, "delta"), "stop_reason");
    if (!stop_reason.empty()) reply_.finish_reason = finish_for_stop_reason(stop_reason);
    merge_messages_usage(messages_usage_, at(data, "usage"));
  } else if (type == "message_stop") {
    ended_ = true;
  }
}

llm::ToolCall* NativeStreamReader::open_call(int64_t index, const std::string& id, const std::string& name) {
  if (llm::ToolCall* open = call_at(index)) return open;
  if (!charge_call(id, name, &text_left_, &reply_.cut_bytes)) return nullptr;
  llm::ToolCall call;
  call.id = id;
  call.name = name;
  calls_[index] = reply_.tool_calls.size();
  reply_.tool_calls.push_back(std::move(call));
  return &reply_.tool_calls.back();
}

llm::ToolCall* NativeStreamReader::call_at(int64_t index) {
  auto it = calls_.find(index);
  return it == calls_.end() ? nullptr : &reply_.tool_calls[it->second];
}

void NativeStreamReader::append(std::string& out, std::string_view text) {
  append_within(out, text, &text_left_, &reply_.cut_bytes);
}

}  // namespace autoswarm::client_api
