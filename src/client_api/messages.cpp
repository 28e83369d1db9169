// Anthropic's Messages API (POST /v1/messages) as chat completions: Claude Code and the
// @anthropic-ai/sdk clients against any OpenAI-compatible upstream. The request's system
// blocks become one system message, content blocks become chat parts, tool_use blocks become
// an assistant's tool_calls and tool_result blocks tool messages; the reply comes back as
// content blocks with a stop_reason, and a stream as Anthropic's event sequence (message_start,
// content_block_start/delta/stop per block, message_delta, message_stop).
#include <algorithm>
#include <cmath>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/util/json.h"

namespace autoswarm::client_api {
namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string got(const json& j) { return " (got " + util::json_kind(j) + ")"; }

// The request fields that chat completions have no place for but that change nothing a local
// model would do differently: dropped. Everything else unknown is refused by name, so a client
// never believes a feature worked when it was silently ignored.
bool is_droppable(const std::string& key) {
  static const char* const kDroppable[] = {"metadata", "thinking", "service_tier", "anthropic_version",
                                           "context_management", "container"};
  return std::any_of(std::begin(kDroppable), std::end(kDroppable), [&](const char* k) { return key == k; });
}

// Builds the chat request; the first problem found stops it.
class RequestTranslator {
 public:
  explicit RequestTranslator(std::string* problem) : problem_(problem) {}

  std::optional<json> translate(const json& request) {
    json chat = json::object();
    for (const auto& [key, value] : request.items()) {
      if (key == "model") {
        if (!value.is_string()) return fail("model must be a string" + got(value));
        chat["model"] = value;
      } else if (key == "max_tokens") {
        if (!value.is_number_integer() || value.get<int64_t>() < 1) {
          return fail("max_tokens must be a positive integer" + got(value));
        }
        chat["max_tokens"] = value;
      } else if (key == "temperature" || key == "top_p" || key == "top_k") {
        if (!value.is_number()) return fail(key + " must be a number" + got(value));
        chat[key] = value;
      } else if (key == "stop_sequences") {
        if (!value.is_array() || !std::all_of(value.begin(), value.end(), [](const json& s) { return s.is_string(); })) {
          return fail("stop_sequences must be a list of strings");
        }
        if (!value.empty()) chat["stop"] = value;
      } else if (key == "stream") {
        if (!value.is_boolean()) return fail("stream must be a boolean" + got(value));
      } else if (key == "system" || key == "messages" || key == "tools" || key == "tool_choice") {
        // below, in order
      } else if (!is_droppable(key)) {
        return fail("'" + key + "' cannot be translated to chat completions, which this upstream "
                    "speaks: leave it out");
      }
    }
    chat["messages"] = json::array();
    if (request.contains("system") && !system(request["system"], chat["messages"])) return std::nullopt;
    const json& messages = request.contains("messages") ? request["messages"] : json();
    if (!messages.is_array()) return fail("messages must be a list" + got(messages));
    for (size_t i = 0; i < messages.size(); ++i) {
      if (!message(messages[i], "messages[" + std::to_string(i) + "]", chat["messages"])) return std::nullopt;
    }
    if (request.contains("tools") && !tools(request["tools"], chat)) return std::nullopt;
    if (request.contains("tool_choice") && !tool_choice(request["tool_choice"], chat)) return std::nullopt;
    const bool stream = request.value("stream", false) == true;
    chat["stream"] = stream;
    if (stream) chat["stream_options"] = {{"include_usage", true}};
    return chat;
  }

 private:
  std::nullopt_t fail(std::string message) {
    if (problem_->empty()) *problem_ = std::move(message);
    return std::nullopt;
  }
  bool refuse(std::string message) {
    fail(std::move(message));
    return false;
  }

  // The text of a string or a list of text blocks (system, tool_result content).
  std::optional<std::string> text_of(const json& content, const std::string& at) {
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) return fail(at + " must be a string or a list of text blocks" + got(content));
    std::string text;
    for (size_t i = 0; i < content.size(); ++i) {
      const json& block = content[i];
      const std::string where = at + "[" + std::to_string(i) + "]";
      if (!block.is_object()) return fail(where + " must be an object" + got(block));
      const std::string type = util::string_field(block, "type");
      if (type != "text") {
        return fail(where + ".type '" + type + "' cannot be translated here: send text blocks");
      }
      if (!block.contains("text") || !block["text"].is_string()) {
        return fail(where + ".text must be a string");
      }
      if (!text.empty()) text += "\n\n";
      text += block["text"].get<std::string>();
    }
    return text;
  }

  bool system(const json& system, json& out) {
    std::optional<std::string> text = text_of(system, "system");
    if (!text) return false;
    if (!text->empty()) out.push_back({{"role", "system"}, {"content", *text}});
    return true;
  }

  // An image block as a chat image part: base64 data as a data: URL, a URL as it is.
  std::optional<json> image(const json& block, const std::string& at) {
    const json source = block.value("source", json());
    const std::string type = util::string_field(source, "type");
    if (type == "base64") {
      const std::string media = util::string_field(source, "media_type");
      const std::string data = util::string_field(source, "data");
      if (media.empty() || data.empty()) {
        return fail(at + ".source needs media_type and data strings");
      }
      return json{{"type", "image_url"}, {"image_url", {{"url", "data:" + media + ";base64," + data}}}};
    }
    if (type == "url") {
      const std::string url = util::string_field(source, "url");
      if (url.empty()) return fail(at + ".source.url must be a string");
      return json{{"type", "image_url"}, {"image_url", {{"url", url}}}};
    }
    return fail(at + ".source.type '" + type + "' cannot be translated to chat completions: send "
                "base64 or url");
  }

  bool message(const json& m, const std::string& at, json& out) {
    if (!m.is_object()) return refuse(at + " must be an object" + got(m));
    const json role = m.value("role", json());
    if (!role.is_string() || (role != "user" && role != "assistant")) {
      return refuse(at + ".role must be \"user\" or \"assistant\"");
    }
    const json& content = m.contains("content") ? m["content"] : json();
    if (content.is_string()) {
      out.push_back({{"role", role}, {"content", content}});
      return true;
    }
    if (!content.is_array()) return refuse(at + ".content must be a string or a list of blocks" + got(content));
    json parts = json::array();
    json tool_calls = json::array();
    bool only_text = true;
    for (size_t i = 0; i < content.size(); ++i) {
      const json& block = content[i];
      const std::string where = at + ".content[" + std::to_string(i) + "]";
      if (!block.is_object()) return refuse(where + " must be an object" + got(block));
      const std::string type = util::string_field(block, "type");
      if (type == "text") {
        if (!block.contains("text") || !block["text"].is_string()) return refuse(where + ".text must be a string");
        if (!block["text"].get<std::string>().empty()) parts.push_back({{"type", "text"}, {"text", block["text"]}});
      } else if (type == "image" && role == "user") {
        std::optional<json> part = image(block, where);
        if (!part) return false;
        parts.push_back(std::move(*part));
        only_text = false;
      } else if (type == "tool_use" && role == "assistant") {
        const std::string id = util::string_field(block, "id");
        const std::string name = util::string_field(block, "name");
        if (id.empty() || name.empty()) return refuse(where + " needs an id and a name");
        const json input = block.value("input", json::object());
        if (!input.is_object()) return refuse(where + ".input must be an object" + got(input));
        tool_calls.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", dump(input)}}}});
      } else if (type == "tool_result" && role == "user") {
        // Tool results answer the previous assistant turn, so they come before this turn's text.
        const std::string id = util::string_field(block, "tool_use_id");
        if (id.empty()) return refuse(where + ".tool_use_id must be a string");
        std::optional<std::string> text =
            block.contains("content") ? text_of(block["content"], where + ".content") : std::string();
        if (!text) return false;
        if (block.value("is_error", false) == true) *text = "Error: " + *text;
        out.push_back({{"role", "tool"}, {"tool_call_id", id}, {"content", *text}});
      } else if (type == "thinking" || type == "redacted_thinking") {
        // A model's earlier reasoning: chat completions take none back, and local models
        // re-derive it. Dropped, as the reference servers do.
      } else {
        return refuse(where + ".type '" + type + "' cannot be translated to chat completions in a " +
                    role.get<std::string>() + " message: send text" +
                    (role == "user" ? ", image or tool_result" : " or tool_use") + " blocks");
      }
    }
    if (parts.empty() && tool_calls.empty()) return true;  // only tool results (or nothing)
    json chat_message = {{"role", role}};
    if (only_text) {
      std::string text;
      for (const json& p : parts) text += (text.empty() ? "" : "\n\n") + p["text"].get<std::string>();
      chat_message["content"] = parts.empty() ? json() : json(text);
    } else {
      chat_message["content"] = std::move(parts);
    }
    if (!tool_calls.empty()) chat_message["tool_calls"] = std::move(tool_calls);
    out.push_back(std::move(chat_message));
    return true;
  }

  bool tools(const json& tools, json& chat) {
    if (!tools.is_array()) return refuse("tools must be a list" + got(tools));
    json out = json::array();
    for (size_t i = 0; i < tools.size(); ++i) {
      const json& t = tools[i];
      const std::string at = "tools[" + std::to_string(i) + "]";
      if (!t.is_object()) return refuse(at + " must be an object" + got(t));
      const std::string type = util::string_field(t, "type");
      if (!type.empty() && type != "custom") {
        return refuse(at + ".type '" + type + "' is a server tool, which chat completions cannot run: "
                    "offer it as a client tool (name, description, input_schema)");
      }
      const std::string name = util::string_field(t, "name");
      if (name.empty()) return refuse(at + ".name must be a string");
      json function = {{"name", name}, {"parameters", t.value("input_schema", json{{"type", "object"}})}};
      if (t.contains("description") && t["description"].is_string()) function["description"] = t["description"];
      out.push_back({{"type", "function"}, {"function", std::move(function)}});
    }
    if (!out.empty()) chat["tools"] = std::move(out);
    return true;
  }

  bool tool_choice(const json& choice, json& chat) {
    if (!choice.is_object()) return refuse("tool_choice must be an object" + got(choice));
    const std::string type = util::string_field(choice, "type");
    if (type == "auto") chat["tool_choice"] = "auto";
    else if (type == "any") chat["tool_choice"] = "required";
    else if (type == "none") chat["tool_choice"] = "none";
    else if (type == "tool") {
      const std::string name = util::string_field(choice, "name");
      if (name.empty()) return refuse("tool_choice.name must be a string");
      chat["tool_choice"] = {{"type", "function"}, {"function", {{"name", name}}}};
    } else {
      return refuse("tool_choice.type must be auto, any, tool or none");
    }
    if (choice.value("disable_parallel_tool_use", false) == true) chat["parallel_tool_calls"] = false;
    return true;
  }

  std::string* problem_;
};

std::string stop_reason(const llm::ChatResponse& reply) {
  if (!reply.tool_calls.empty() || reply.finish_reason == "tool_calls") return "tool_use";
  if (reply.finish_reason == "length") return "max_tokens";
  if (reply.finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

// Anthropic counts cache reads apart from the input: input_tokens excludes them.
json usage_of(const llm::Usage& u) {
  const int64_t cached = u.cached_tokens.value_or(0);
  return {{"input_tokens", std::max<int64_t>(0, u.prompt_tokens - cached)},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", cached},
          {"output_tokens", u.completion_tokens}};
}

std::string message_id(const ReplyContext& context) {
  return context.id.rfind("msg_", 0) == 0 ? context.id : "msg_" + context.id;
}

json tool_input(const llm::ToolCall& call) {
  return call.arguments_ok() && call.parsed_arguments.is_object() ? call.parsed_arguments : json::object();
}

std::string event(const std::string& type, const json& data) {
  return "event: " + type + "\ndata: " + dump(data) + "\n\n";
}

std::string anthropic_error_type(int status, const std::string& type) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503: case 529: return "overloaded_error";
    case 504: return "timeout_error";
    default: return type == "upstream_timeout" ? "timeout_error" : "api_error";
  }
}

json error_object(int status, const std::string& message, const std::string& type) {
  return {{"type", "error"}, {"error", {{"type", anthropic_error_type(status, type)}, {"message", message}}}};
}

class MessagesStream : public StreamTranslator {
 public:
  explicit MessagesStream(ReplyContext context) : context_(std::move(context)) {}

  std::string on_chunk(const json& chunk) override {
    std::string out = start();
    if (chunk.contains("usage") && chunk["usage"].is_object()) usage_ = llm::Usage::from_json(chunk["usage"]);
    const json* choices = chunk.contains("choices") ? &chunk["choices"] : nullptr;
    if (!choices || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) return out;
    const json& delta = (*choices)[0].value("delta", json::object());
    if (!delta.is_object()) return out;
    if (delta.contains("content") && delta["content"].is_string()) {
      const std::string text = delta["content"].get<std::string>();
      if (!text.empty()) {
        if (open_ != Block::kText) out += open_block({{"type", "text"}, {"text", ""}}, Block::kText);
        out += event("content_block_delta", {{"type", "content_block_delta"}, {"index", index_},
                                             {"delta", {{"type", "text_delta"}, {"text", text}}}});
      }
    }
    if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
      for (const json& call : delta["tool_calls"]) {
        if (!call.is_object()) continue;
        const json index = call.value("index", json(0));  // absent: one call at a time (Ollama)
        const int64_t n = index.is_number_integer() ? index.get<int64_t>() : 0;
        const json function = call.value("function", json::object());
        if (open_ != Block::kTool || n != tool_index_) {
          tool_index_ = n;
          std::string id = util::string_field(call, "id");
          if (id.empty()) id = "toolu_" + context_.id + "_" + std::to_string(index_ + 1);
          out += open_block({{"type", "tool_use"}, {"id", id}, {"name", util::string_field(function, "name")},
                             {"input", json::object()}}, Block::kTool);
        }
        const std::string fragment = util::string_field(function, "arguments");
        if (!fragment.empty()) {
          out += event("content_block_delta", {{"type", "content_block_delta"}, {"index", index_},
                                               {"delta", {{"type", "input_json_delta"}, {"partial_json", fragment}}}});
        }
      }
    }
    return out;
  }

  std::string on_finish(const llm::ChatResponse& reply) override {
    std::string out = start() + close_block();
    const llm::Usage& u = reply.usage.reported ? reply.usage : usage_;
    out += event("message_delta", {{"type", "message_delta"},
                                   {"delta", {{"stop_reason", stop_reason(reply)}, {"stop_sequence", nullptr}}},
                                   {"usage", usage_of(u)}});
    out += event("message_stop", {{"type", "message_stop"}});
    return out;
  }

  std::string on_error(int status, const std::string& message, const std::string& type,
                       const llm::ChatResponse&) override {
    return start() + event("error", error_object(status, message, type));
  }

 private:
  enum class Block { kNone, kText, kTool };

  std::string start() {
    if (started_) return "";
    started_ = true;
    json message = {{"id", message_id(context_)}, {"type", "message"}, {"role", "assistant"},
                    {"model", context_.model}, {"content", json::array()}, {"stop_reason", nullptr},
                    {"stop_sequence", nullptr}, {"usage", usage_of(llm::Usage{})}};
    return event("message_start", {{"type", "message_start"}, {"message", std::move(message)}}) +
           event("ping", {{"type", "ping"}});
  }

  std::string close_block() {
    if (open_ == Block::kNone) return "";
    open_ = Block::kNone;
    return event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
  }

  // Block indexes only grow: a text after a tool call is a new block.
  std::string open_block(json block, Block kind) {
    std::string out = close_block();
    ++index_;
    open_ = kind;
    return out + event("content_block_start",
                       {{"type", "content_block_start"}, {"index", index_}, {"content_block", std::move(block)}});
  }

  ReplyContext context_;
  bool started_ = false;
  Block open_ = Block::kNone;
  int64_t index_ = -1;
  int64_t tool_index_ = -1;
  llm::Usage usage_;
};

class MessagesApi : public ClientApi {
 public:
  Protocol protocol() const override { return Protocol::kMessages; }

  std::optional<json> to_chat_request(const json& request, std::string* problem) const override {
    return RequestTranslator(problem).translate(request);
  }

  json from_chat_reply(const llm::ChatResponse& reply, const ReplyContext& context) const override {
    json content = json::array();
    if (!reply.content.empty()) content.push_back({{"type", "text"}, {"text", reply.content}});
    for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
      const llm::ToolCall& call = reply.tool_calls[i];
      const std::string id = call.id.empty() ? "toolu_" + context.id + "_" + std::to_string(i) : call.id;
      content.push_back({{"type", "tool_use"}, {"id", id}, {"name", call.name}, {"input", tool_input(call)}});
    }
    return {{"id", message_id(context)}, {"type", "message"}, {"role", "assistant"}, {"model", context.model},
            {"content", std::move(content)}, {"stop_reason", stop_reason(reply)}, {"stop_sequence", nullptr},
            {"usage", usage_of(reply.usage)}};
  }

  std::unique_ptr<StreamTranslator> stream_translator(const ReplyContext& context) const override {
    return std::make_unique<MessagesStream>(context);
  }

  std::string_view stream_content_type() const override { return "text/event-stream"; }

  std::string error_body(int status, const std::string& message, const std::string& type) const override {
    return dump(error_object(status, message, type));
  }
};

// Text a tokenizer would see in a chat request: message contents, tool call arguments, the
// tools' schemas.
size_t text_bytes(const json& chat) {
  size_t bytes = 0;
  for (const json& m : chat.value("messages", json::array())) {
    const json content = m.value("content", json());
    if (content.is_string()) bytes += content.get<std::string>().size();
    else if (content.is_array()) {
      for (const json& part : content) {
        bytes += part.is_object() && part.contains("text") && part["text"].is_string()
                     ? part["text"].get<std::string>().size()
                     : 0;
      }
    }
    if (m.contains("tool_calls")) bytes += dump(m["tool_calls"]).size();
    bytes += 4;  // the role and the chat template's separators
  }
  if (chat.contains("tools")) bytes += dump(chat["tools"]).size();
  return bytes;
}

}  // namespace

const ClientApi& messages_api() {
  static const MessagesApi api;
  return api;
}

int64_t estimate_prompt_tokens(const json& chat_request) {
  // About four bytes of English or code per token for the tokenizers of local models: a count
  // for context budgeting (what clients use count_tokens for), not for billing.
  return static_cast<int64_t>(std::ceil(static_cast<double>(text_bytes(chat_request)) / 4.0));
}

}  // namespace autoswarm::client_api
