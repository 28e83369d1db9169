// Ollama's own replies, as an Ollama upstream answers POST /api/chat and /api/generate passed
// through to it: one object with `done: true`, or the NDJSON stream Ollama sends by default
// (text and thinking in pieces, each tool call whole in one line, the counts in the last).
#include "autoswarm/client_api/native_reply.h"
#include "autoswarm/util/json.h"
#include "native_reply_parts.h"

namespace autoswarm::client_api {
namespace native {
namespace {

// Chat completions' finish reason for Ollama's done_reason ("stop", "length", "load",
// "unload"): it has none for tool calls, which chat completions call "tool_calls".
std::string finish_for_done_reason(const std::string& done_reason, bool has_tool_calls) {
  if (has_tool_calls) return "tool_calls";
  return done_reason == "length" ? "length" : "stop";
}

llm::Usage ollama_usage(const json& object) {
  llm::Usage u;
  const std::optional<int64_t> prompt = int_at(object, "prompt_eval_count");
  const std::optional<int64_t> completion = int_at(object, "eval_count");
  if (!prompt && !completion) return u;
  u.reported = true;
  u.prompt_tokens = prompt.value_or(0);
  u.completion_tokens = completion.value_or(0);
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return u;
}

// message.tool_calls: [{"id"?, "function": {"name", "arguments": {…}}}], each call whole.
void add_tool_calls(const json& message, llm::ChatResponse& r, size_t* left) {
  const json& calls = at(message, "tool_calls");
  if (!calls.is_array()) return;
  for (const json& call : calls) {
    const json& function = at(call, "function");
    llm::ToolCall out;
    out.id = text_at(call, "id");
    out.name = text_at(function, "name");
    if (!charge_call(out.id, out.name, left, &r.cut_bytes)) continue;
    const json& arguments = at(function, "arguments");
    if (arguments.is_string()) append_within(out.arguments, arguments.get_ref<const std::string&>(), left, &r.cut_bytes);
    else if (!arguments.is_null()) append_within(out.arguments, dump(arguments), left, &r.cut_bytes);
    r.tool_calls.push_back(std::move(out));
  }
}

}  // namespace

bool add_ollama_object(Protocol protocol, const json& object, llm::ChatResponse& r, size_t* left) {
  if (r.model.empty()) r.model = text_at(object, "model");
  if (protocol == Protocol::kOllamaChat) {
    const json& message = at(object, "message");
    append_within(r.content, text_at(message, "content"), left, &r.cut_bytes);
    append_within(r.reasoning_content, text_at(message, "thinking"), left, &r.cut_bytes);
    add_tool_calls(message, r, left);
  } else {
    append_within(r.content, text_at(object, "response"), left, &r.cut_bytes);
    append_within(r.reasoning_content, text_at(object, "thinking"), left, &r.cut_bytes);
  }
  const json& done = at(object, "done");
  if (!done.is_boolean() || !done.get<bool>()) return false;
  r.finish_reason = finish_for_done_reason(text_at(object, "done_reason"), !r.tool_calls.empty());
  r.usage = ollama_usage(object);
  return true;
}

llm::ChatResponse read_ollama_reply(Protocol protocol, const json& body, size_t max_kept_bytes) {
  llm::ChatResponse r;
  size_t left = max_kept_bytes;
  add_ollama_object(protocol, body, r, &left);
  return r;
}

}  // namespace native

void NativeStreamReader::feed_ndjson(std::string_view bytes) {
  while (!bytes.empty() && !ended_) {
    const size_t newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    if (line_.size() + piece.size() > llm::SseParser::kMaxLineBytes) {
      broken_ = true;  // a line past the bound: the rest of the stream is not read
      line_.clear();
      return;
    }
    line_.append(piece);
    if (newline == std::string_view::npos) return;
    bytes.remove_prefix(newline + 1);
    on_ndjson_line(line_);
    line_.clear();
  }
}

void NativeStreamReader::on_ndjson_line(std::string_view line) {
  const json object = util::try_parse_json(line);
  if (!object.is_object()) return;  // a blank or broken line carries nothing for the log
  if (auto error = object.find("error"); error != object.end()) {
    error_ = error->is_string() ? error->get<std::string>() : "the upstream sent an error line";
    return;
  }
  if (native::add_ollama_object(protocol_, object, reply_, &text_left_)) ended_ = true;
}

}  // namespace autoswarm::client_api
