// /api/chat and /api/generate requests as chat completions requests. The two differ from chat
// in four ways that need work: images ride beside the text, tool-call arguments are objects,
// a tool result names its tool rather than the call it answers, and sampling settings sit in
// `options` under llama.cpp's names. What has no chat equivalent (num_ctx, keep_alive, think)
// is dropped: it tunes the server, and the upstream's own settings stand in for it.
#include <cstdint>

#include "autoswarm/util/json.h"
#include "ollama_translation.h"

namespace autoswarm::client_api::ollama {
namespace {

// A tool call of an earlier assistant message, for matching the tool results that follow.
struct EarlierCall {
  std::string id;
  std::string name;
  size_t message_index = 0;
  bool answered = false;
};

bool fail(std::string* problem, std::string message) {
  *problem = std::move(message);
  return false;
}

// The chat tool call for messages[i].tool_calls[k]: arguments an object (absent: {}) become
// the JSON text chat completions carries; a missing id becomes "call_<n>".
std::optional<json> chat_tool_call(const json& call, const std::string& at, size_t n, std::string* problem) {
  if (!call.is_object()) {
    fail(problem, at + " must be an object (got " + util::json_kind(call) + ")");
    return std::nullopt;
  }
  auto fn = call.find("function");
  if (fn == call.end() || !fn->is_object()) {
    fail(problem, at + ".function must be an object with a name and arguments");
    return std::nullopt;
  }
  auto name = fn->find("name");
  if (name == fn->end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    fail(problem, at + ".function.name must be a non-empty string");
    return std::nullopt;
  }
  std::string arguments = "{}";
  if (auto args = fn->find("arguments"); args != fn->end() && !args->is_null()) {
    if (!args->is_object()) {
      fail(problem, at + ".function.arguments must be an object (got " + util::json_kind(*args) + ")");
      return std::nullopt;
    }
    arguments = args->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  std::string id = "call_" + std::to_string(n);
  if (auto given = call.find("id"); given != call.end() && !given->is_null()) {
    if (!given->is_string()) {
      fail(problem, at + ".id must be a string (got " + util::json_kind(*given) + ")");
      return std::nullopt;
    }
    if (!given->get_ref<const std::string&>().empty()) id = given->get<std::string>();
  }
  return json{{"id", id}, {"type", "function"}, {"function", {{"name", *name}, {"arguments", arguments}}}};
}

// The id of the call a tool result answers. Ollama names the tool, not the call: the result
// answers an unanswered call of that name in the newest assistant message that has one, the
// first such call in it (results come back in the order the calls were made). Without a name,
// the first unanswered call of that message.
EarlierCall* answered_call(std::vector<EarlierCall>& calls, const std::string& tool_name) {
  EarlierCall* chosen = nullptr;
  for (EarlierCall& c : calls) {
    if (c.answered || (!tool_name.empty() && c.name != tool_name)) continue;
    if (chosen == nullptr || c.message_index > chosen->message_index) chosen = &c;
  }
  return chosen;
}

// An optional string field, `label` naming it for a 400: "" when absent or null.
bool optional_string(const json& object, const char* key, const std::string& label, std::string* out,
                     std::string* problem) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_string()) return fail(problem, label + " must be a string (got " + util::json_kind(*it) + ")");
  *out = it->get<std::string>();
  return true;
}

bool has_images(const json& object) {
  auto it = object.find("images");
  return it != object.end() && !it->is_null() && !(it->is_array() && it->empty());
}

// A message's chat content: its text, or parts when it has images.
std::optional<json> chat_content(const json& message, const std::string& text, const std::string& at,
                                 std::string* problem) {
  if (!has_images(message)) return json(text);
  return content_with_images(text, message["images"], at + "images", problem);
}

std::optional<json> chat_messages(const json& messages, std::string* problem) {
  if (!messages.is_array()) {
    fail(problem, "'messages' must be a list (got " + util::json_kind(messages) + ")");
    return std::nullopt;
  }
  if (messages.empty()) {
    fail(problem, "'messages' is empty; send at least one message (a request that only loads the model "
                  "cannot be translated to chat completions)");
    return std::nullopt;
  }
  json out = json::array();
  std::vector<EarlierCall> calls;
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string at = "messages[" + std::to_string(i) + "].";
    if (!m.is_object()) {
      fail(problem, "messages[" + std::to_string(i) + "] must be an object (got " + util::json_kind(m) + ")");
      return std::nullopt;
    }
    auto role_it = m.find("role");
    if (role_it == m.end() || !role_it->is_string()) {
      fail(problem, at + "role must be a string (got " + util::json_kind(role_it == m.end() ? json() : *role_it) + ")");
      return std::nullopt;
    }
    const std::string& role = role_it->get_ref<const std::string&>();
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      fail(problem, at + "role '" + role + "' is not one of system, user, assistant, tool");
      return std::nullopt;
    }
    std::string text;
    if (!optional_string(m, "content", at + "content", &text, problem)) return std::nullopt;
    if (has_images(m) && role != "user") {
      fail(problem, at + "images: only user messages can carry images in chat completions");
      return std::nullopt;
    }
    std::optional<json> content = chat_content(m, text, at, problem);
    if (!content) return std::nullopt;
    json chat = {{"role", role}, {"content", std::move(*content)}};

    auto tool_calls = m.find("tool_calls");
    if (tool_calls != m.end() && !tool_calls->is_null()) {
      if (!tool_calls->is_array()) {
        fail(problem, at + "tool_calls must be a list (got " + util::json_kind(*tool_calls) + ")");
        return std::nullopt;
      }
      if (!tool_calls->empty() && role != "assistant") {
        fail(problem, at + "tool_calls: only assistant messages make tool calls");
        return std::nullopt;
      }
      json chat_calls = json::array();
      for (size_t k = 0; k < tool_calls->size(); ++k) {
        std::optional<json> call =
            chat_tool_call((*tool_calls)[k], at + "tool_calls[" + std::to_string(k) + "]", calls.size(), problem);
        if (!call) return std::nullopt;
        calls.push_back({(*call)["id"].get<std::string>(), (*call)["function"]["name"].get<std::string>(), i, false});
        chat_calls.push_back(std::move(*call));
      }
      if (!chat_calls.empty()) {
        chat["tool_calls"] = std::move(chat_calls);
        if (text.empty()) chat["content"] = nullptr;  // what chat completions servers send
      }
    }

    if (role == "tool") {
      std::string tool_name, call_id;
      if (!optional_string(m, "tool_name", at + "tool_name", &tool_name, problem) ||
          !optional_string(m, "tool_call_id", at + "tool_call_id", &call_id, problem)) {
        return std::nullopt;
      }
      if (!call_id.empty()) {
        for (EarlierCall& c : calls) c.answered = c.answered || c.id == call_id;
      } else if (EarlierCall* call = answered_call(calls, tool_name)) {
        call->answered = true;
        call_id = call->id;
      } else {
        fail(problem, at + (tool_name.empty() ? std::string("role 'tool' answers no earlier tool call")
                                              : "tool_name '" + tool_name + "' answers no earlier unanswered tool call") +
                          "; send tool results after the assistant message whose tool_calls they answer");
        return std::nullopt;
      }
      chat["tool_call_id"] = call_id;
    }
    out.push_back(std::move(chat));
  }
  return out;
}

bool translate_model_and_tools(const json& request, json& out, std::string* problem) {
  if (auto model = request.find("model"); model != request.end() && !model->is_null()) {
    if (!model->is_string()) return fail(problem, "'model' must be a string (got " + util::json_kind(*model) + ")");
    if (!model->get_ref<const std::string&>().empty()) out["model"] = *model;
  }
  if (auto tools = request.find("tools"); tools != request.end() && !tools->is_null()) {
    if (!tools->is_array()) return fail(problem, "'tools' must be a list (got " + util::json_kind(*tools) + ")");
    for (size_t i = 0; i < tools->size(); ++i) {
      if (!(*tools)[i].is_object()) {
        return fail(problem, "tools[" + std::to_string(i) + "] must be an object (got " + util::json_kind((*tools)[i]) + ")");
      }
    }
    if (!tools->empty()) out["tools"] = *tools;  // Ollama's tools are chat's shape already
  }
  return true;
}

// A field of /api/generate that chat completions cannot carry: a 400 when it is set to
// anything that changes the reply (false, "" and [] change nothing and pass).
bool refuse_generate_field(const json& request, const char* key, const char* why, std::string* problem) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null()) return true;
  if (*it == false || (it->is_string() && it->get_ref<const std::string&>().empty()) ||
      (it->is_array() && it->empty())) {
    return true;
  }
  return fail(problem, std::string("'") + key + "' cannot be translated to chat completions: " + why);
}

}  // namespace

bool translate_shared_fields(const json& request, json& out, std::string* problem) {
  if (auto format = request.find("format"); format != request.end() && !format->is_null() && *format != "") {
    if (*format == "json") {
      out["response_format"] = {{"type", "json_object"}};
    } else if (format->is_object()) {
      out["response_format"] = {{"type", "json_schema"},
                                {"json_schema", {{"name", "response"}, {"schema", *format}, {"strict", true}}}};
    } else {
      return fail(problem, "'format' must be \"json\" or a JSON schema object (got " +
                               (format->is_string() ? "'" + format->get<std::string>() + "'" : util::json_kind(*format)) + ")");
    }
  }
  if (auto options = request.find("options"); options != request.end() && !options->is_null()) {
    if (!options->is_object()) return fail(problem, "'options' must be an object (got " + util::json_kind(*options) + ")");
    for (const auto& [key, value] : options->items()) {
      if (value.is_null()) continue;
      const std::string at = "options." + key;
      if (key == "num_predict") {
        if (!value.is_number_integer()) return fail(problem, at + " must be an integer (got " + util::json_kind(value) + ")");
        // -1 (no limit) and -2 (fill the context) are the chat default: no max_tokens.
        if (value.get<int64_t>() > 0) out["max_tokens"] = value;
      } else if (key == "temperature" || key == "top_p" || key == "presence_penalty" || key == "frequency_penalty") {
        if (!value.is_number()) return fail(problem, at + " must be a number (got " + util::json_kind(value) + ")");
        out[key] = value;
      } else if (key == "top_k" || key == "seed") {
        if (!value.is_number_integer()) return fail(problem, at + " must be an integer (got " + util::json_kind(value) + ")");
        out[key] = value;
      } else if (key == "stop") {
        json stop = value.is_string() ? json::array({value}) : value;
        bool strings = stop.is_array();
        for (const json& s : stop) strings = strings && s.is_string();
        if (!strings) return fail(problem, at + " must be a string or a list of strings (got " + util::json_kind(value) + ")");
        if (!stop.empty()) out["stop"] = std::move(stop);
      }
      // Every other option (num_ctx, num_gpu, repeat_penalty, …) tunes the server: dropped.
    }
  }
  bool stream = true;  // Ollama streams unless told not to
  if (auto it = request.find("stream"); it != request.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail(problem, "'stream' must be true or false (got " + util::json_kind(*it) + ")");
    stream = it->get<bool>();
  }
  out["stream"] = stream;
  if (stream) out["stream_options"] = {{"include_usage", true}};
  return true;
}

std::optional<json> chat_request_from_chat(const json& request, std::string* problem) {
  json out = json::object();
  if (!translate_model_and_tools(request, out, problem)) return std::nullopt;
  auto messages = request.find("messages");
  std::optional<json> chat = chat_messages(messages == request.end() ? json() : *messages, problem);
  if (!chat) return std::nullopt;
  out["messages"] = std::move(*chat);
  if (!translate_shared_fields(request, out, problem)) return std::nullopt;
  return out;
}

std::optional<json> chat_request_from_generate(const json& request, std::string* problem) {
  if (!refuse_generate_field(request, "raw", "a raw prompt skips the model's chat template; use raw false or /api/chat",
                             problem) ||
      !refuse_generate_field(request, "template", "the upstream applies its own chat template; leave it out",
                             problem) ||
      !refuse_generate_field(request, "context", "the proxy returns no context; send the conversation to /api/chat",
                             problem) ||
      !refuse_generate_field(request, "suffix", "fill-in-the-middle has no chat completions equivalent; leave it out",
                             problem)) {
    return std::nullopt;
  }
  json out = json::object();
  if (!translate_model_and_tools(request, out, problem)) return std::nullopt;
  std::string prompt, system;
  if (!optional_string(request, "prompt", "'prompt'", &prompt, problem) ||
      !optional_string(request, "system", "'system'", &system, problem)) {
    return std::nullopt;
  }
  if (prompt.empty() && !has_images(request)) {
    fail(problem, "'prompt' is empty; send a prompt (a request that only loads the model cannot be translated "
                  "to chat completions)");
    return std::nullopt;
  }
  std::optional<json> content = chat_content(request, prompt, "", problem);
  if (!content) return std::nullopt;
  json messages = json::array();
  if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  messages.push_back({{"role", "user"}, {"content", std::move(*content)}});
  out["messages"] = std::move(messages);
  if (!translate_shared_fields(request, out, problem)) return std::nullopt;
  return out;
}

}  // namespace autoswarm::client_api::ollama
