#include "autoswarm/llm/chat.h"

#include "autoswarm/llm/errors.h"
#include "autoswarm/util/json.h"

namespace autoswarm::llm {
namespace {

int64_t int_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

}  // namespace

Usage Usage::from_json(const json& usage) {
  Usage u;
  if (!usage.is_object()) return u;
  u.reported = true;
  u.prompt_tokens = int_of(usage, "prompt_tokens");
  u.completion_tokens = int_of(usage, "completion_tokens");
  u.total_tokens = int_of(usage, "total_tokens");
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  auto details = usage.find("prompt_tokens_details");
  if (details != usage.end() && details->is_object() && details->contains("cached_tokens") &&
      (*details)["cached_tokens"].is_number()) {
    u.cached_tokens = (*details)["cached_tokens"].get<int64_t>();
  }
  return u;
}

json Usage::to_json() const {
  json j = {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", total_tokens}};
  if (cached_tokens) j["prompt_tokens_details"] = {{"cached_tokens", *cached_tokens}};
  return j;
}

json ToolCall::to_json() const {
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
}

namespace {
std::string kind_of(const json& j) { return util::json_kind(j); }
}  // namespace

std::string messages_problem(const json& messages) {
  if (!messages.is_array()) return "'messages' must be a list (got " + kind_of(messages) + ")";
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return at + " must be an object (got " + kind_of(m) + ")";
    auto role = m.find("role");
    if (role == m.end()) return at + " has no 'role'";
    if (!role->is_string()) return at + ".role must be a string (got " + kind_of(*role) + ")";
    auto content = m.find("content");
    if (content == m.end() || content->is_string() || content->is_null()) continue;
    if (!content->is_array()) {
      return at + ".content must be a string, a list of parts or null (got " + kind_of(*content) + ")";
    }
    for (size_t k = 0; k < content->size(); ++k) {
      const json& part = (*content)[k];
      const std::string part_at = at + ".content[" + std::to_string(k) + "]";
      if (!part.is_object()) return part_at + " must be an object (got " + kind_of(part) + ")";
      if (auto type = part.find("type"); type != part.end() && !type->is_string()) {
        return part_at + ".type must be a string (got " + kind_of(*type) + ")";
      }
      if (auto text = part.find("text"); text != part.end() && !text->is_string()) {
        return part_at + ".text must be a string (got " + kind_of(*text) + ")";
      }
    }
  }
  return "";
}

std::string chat_request_problem(const json& body) {
  if (!body.is_object()) return "the request body must be a JSON object (got " + kind_of(body) + ")";
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) {
    return "the request needs a non-empty 'messages' list";
  }
  struct Typed {
    const char* key;
    bool (json::*is)() const noexcept;
    const char* expected;
  };
  for (const Typed& t : {Typed{"model", &json::is_string, "a string"}, Typed{"stream", &json::is_boolean, "true or false"},
                         Typed{"stream_options", &json::is_object, "an object"}}) {
    auto it = body.find(t.key);
    if (it != body.end() && !it->is_null() && !((*it).*t.is)()) {
      return std::string("'") + t.key + "' must be " + t.expected + " (got " + kind_of(*it) + ")";
    }
  }
  return messages_problem(*messages);
}

void parse_tool_arguments(ToolCall& call) {
  call.arguments_error.clear();
  if (call.arguments.find_first_not_of(" \t\r\n") == std::string::npos) {
    call.parsed_arguments = json::object();
    return;
  }
  try {
    call.parsed_arguments = util::parse_json(call.arguments);
    if (!call.parsed_arguments.is_object()) {
      call.arguments_error = "arguments of tool call '" + call.name + "' are not a JSON object: " +
                             call.arguments;
    }
  } catch (const util::JsonError& e) {
    call.parsed_arguments = nullptr;
    call.arguments_error = "arguments of tool call '" + call.name + "' are not valid JSON (" +
                           e.what() + "): " + call.arguments;
  }
}

json ChatRequest::to_json(bool stream) const {
  json body = extra.is_object() ? extra : json::object();
  if (!model.empty()) body["model"] = model;
  body["messages"] = messages;
  if (!tools.is_null()) body["tools"] = tools;
  if (!tool_choice.is_null()) body["tool_choice"] = tool_choice;
  if (temperature) body["temperature"] = *temperature;
  if (max_tokens) body["max_tokens"] = *max_tokens;
  if (stream) {
    body["stream"] = true;
    if (!body["stream_options"].is_object()) body["stream_options"] = json::object();
    body["stream_options"]["include_usage"] = true;
  } else {
    body.erase("stream");
    body.erase("stream_options");
  }
  return body;
}

ChatRequest ChatRequest::from_json(const json& body) {
  ChatRequest r;
  if (!body.is_object()) return r;
  r.extra = body;
  r.model = util::string_field(body, "model");
  if (body.contains("messages")) r.messages = body["messages"];
  if (body.contains("tools")) r.tools = body["tools"];
  if (body.contains("tool_choice")) r.tool_choice = body["tool_choice"];
  if (body.contains("temperature") && body["temperature"].is_number()) {
    r.temperature = body["temperature"].get<double>();
  }
  if (body.contains("max_tokens") && body["max_tokens"].is_number_integer()) {
    r.max_tokens = body["max_tokens"].get<int>();
  }
  // stream_options stays in `extra`: to_json(true) adds include_usage to the client's own keys.
  for (const char* k : {"model", "messages", "tools", "tool_choice", "stream"}) {
    r.extra.erase(k);
  }
  if (r.temperature) r.extra.erase("temperature");
  if (r.max_tokens) r.extra.erase("max_tokens");
  return r;
}

json ChatResponse::message() const {
  json m = {{"role", "assistant"}, {"content", content}};
  if (!tool_calls.empty()) {
    m["tool_calls"] = json::array();
    for (const auto& c : tool_calls) m["tool_calls"].push_back(c.to_json());
    if (content.empty()) m["content"] = nullptr;
  }
  return m;
}

ChatResponse ChatResponse::from_json(const json& body) {
  if (!body.is_object() || !body.contains("choices") || !body["choices"].is_array() ||
      body["choices"].empty() || !body["choices"][0].is_object()) {
    throw ProtocolError("the chat completion response has no choices: " +
                        body.dump().substr(0, 300));
  }
  ChatResponse r;
  r.id = util::string_field(body, "id");
  r.model = util::string_field(body, "model");
  const json& choice = body["choices"][0];
  r.finish_reason = util::string_field(choice, "finish_reason");
  const json message = choice.value("message", json::object());
  if (message.is_object()) {
    r.content = util::string_field(message, "content");
    r.reasoning_content = util::string_field(message, "reasoning_content");
    if (r.reasoning_content.empty()) r.reasoning_content = util::string_field(message, "reasoning");
    if (message.contains("tool_calls") && message["tool_calls"].is_array()) {
      for (const auto& tc : message["tool_calls"]) {
        if (!tc.is_object()) continue;  // as the stream assembler does; value() would throw
        ToolCall call;
        call.id = util::string_field(tc, "id");
        const json fn = tc.value("function", json::object());
        call.name = util::string_field(fn, "name");
        // Ollama's native shape sends arguments as an object rather than a string.
        if (fn.contains("arguments") && !fn["arguments"].is_string() && !fn["arguments"].is_null()) {
          call.arguments = fn["arguments"].dump();
        } else {
          call.arguments = util::string_field(fn, "arguments");
        }
        parse_tool_arguments(call);
        r.tool_calls.push_back(std::move(call));
      }
    }
  }
  r.usage = Usage::from_json(body.value("usage", json()));
  return r;
}

}  // namespace autoswarm::llm
