// A Responses API request as a chat completions request. The items of `input` become
// messages (function calls and their outputs become assistant tool_calls and tool messages),
// flat function tools become nested ones, and the sampling fields keep their meaning under
// chat's names. What chat completions cannot carry — stored responses, built-in tools, items
// only OpenAI's servers produce — is refused with a message that names the field, rather than
// dropped: a client that relies on it would otherwise get a silently different answer.
#include "autoswarm/util/text.h"
#include "autoswarm/util/json.h"
#include "responses_parts.h"

namespace autoswarm::client_api::responses {

std::string must_be(const std::string& field, const char* expected, const json& got) {
  return field + " must be " + expected + " (got " + util::json_kind(got) + ")";
}

const json* present(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

bool optional_string(const json& object, const char* key, const std::string& at, std::string* out,
                     std::string* problem) {
  const json* value = present(object, key);
  if (value == nullptr) return true;
  if (!value->is_string()) {
    *problem = must_be(at + key, "a string", *value);
    return false;
  }
  *out = value->get<std::string>();
  return true;
}

bool required_string(const json& object, const char* key, const std::string& at, std::string* out,
                     std::string* problem) {
  if (present(object, key) == nullptr) {
    *problem = at + key + " is required";
    return false;
  }
  return optional_string(object, key, at, out, problem);
}

namespace {

// Why the upstream cannot hold state, said once for every field that needs it.
constexpr const char* kStateless =
    "this upstream speaks only chat completions, so stored responses are not available";

bool read_tools(const json& tools, json& chat, std::string* problem) {
  if (!tools.is_array()) {
    *problem = must_be("tools", "a list", tools);
    return false;
  }
  json out = json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const json& tool = tools[i];
    const std::string at = "tools[" + std::to_string(i) + "]";
    if (!tool.is_object()) {
      *problem = must_be(at, "an object", tool);
      return false;
    }
    std::string type, name, description;
    if (!required_string(tool, "type", at + ".", &type, problem)) return false;
    if (type != "function") {
      *problem = at + ".type '" + type +
                 "' is a built-in tool that chat completions cannot run; offer function tools only";
      return false;
    }
    if (!required_string(tool, "name", at + ".", &name, problem)) return false;
    if (!optional_string(tool, "description", at + ".", &description, problem)) return false;
    json function = {{"name", name}};
    if (!description.empty()) function["description"] = description;
    if (const json* parameters = present(tool, "parameters")) {
      if (!parameters->is_object()) {
        *problem = must_be(at + ".parameters", "an object (a JSON schema)", *parameters);
        return false;
      }
      function["parameters"] = *parameters;
    }
    if (const json* strict = present(tool, "strict")) {
      if (!strict->is_boolean()) {
        *problem = must_be(at + ".strict", "true or false", *strict);
        return false;
      }
      function["strict"] = *strict;
    }
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  if (!out.empty()) chat["tools"] = std::move(out);
  return true;
}

bool read_tool_choice(const json& choice, json& chat, std::string* problem) {
  if (choice.is_string()) {
    const auto& mode = choice.get_ref<const std::string&>();
    if (mode != "auto" && mode != "none" && mode != "required") {
      *problem = "tool_choice '" + mode + "' is not one of auto, none, required";
      return false;
    }
    chat["tool_choice"] = mode;
    return true;
  }
  if (!choice.is_object()) {
    *problem = must_be("tool_choice", "a string or an object", choice);
    return false;
  }
  std::string type, name;
  if (!required_string(choice, "type", "tool_choice.", &type, problem)) return false;
  if (type != "function") {
    *problem = "tool_choice.type '" + type +
               "' cannot be translated to chat completions; send auto, none, required or "
               "{\"type\":\"function\",\"name\":…}";
    return false;
  }
  if (!required_string(choice, "name", "tool_choice.", &name, problem)) return false;
  chat["tool_choice"] = {{"type", "function"}, {"function", {{"name", name}}}};
  return true;
}

bool read_text_format(const json& text, json& chat, std::string* problem) {
  if (!text.is_object()) {
    *problem = must_be("text", "an object", text);
    return false;
  }
  const json* format = present(text, "format");
  if (format == nullptr) return true;
  if (!format->is_object()) {
    *problem = must_be("text.format", "an object", *format);
    return false;
  }
  std::string type;
  if (!required_string(*format, "type", "text.format.", &type, problem)) return false;
  if (type == "text") return true;
  if (type == "json_object") {
    chat["response_format"] = {{"type", "json_object"}};
    return true;
  }
  if (type != "json_schema") {
    *problem = "text.format.type '" + type + "' is not one of text, json_object, json_schema";
    return false;
  }
  std::string name, description;
  if (!required_string(*format, "name", "text.format.", &name, problem)) return false;
  if (!optional_string(*format, "description", "text.format.", &description, problem)) return false;
  const json* schema = present(*format, "schema");
  if (schema == nullptr || !schema->is_object()) {
    *problem = schema == nullptr ? std::string("text.format.schema is required")
                                 : must_be("text.format.schema", "an object (a JSON schema)", *schema);
    return false;
  }
  json json_schema = {{"name", name}, {"schema", *schema}};
  if (!description.empty()) json_schema["description"] = description;
  if (const json* strict = present(*format, "strict")) {
    if (!strict->is_boolean()) {
      *problem = must_be("text.format.strict", "true or false", *strict);
      return false;
    }
    json_schema["strict"] = *strict;
  }
  chat["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(json_schema)}};
  return true;
}

// Fields that need a stored response or conversation, with what to send instead.
bool refuse_stateful_fields(const json& request, std::string* problem) {
  if (present(request, "previous_response_id") != nullptr) {
    *problem = std::string("previous_response_id cannot be used: ") + kStateless +
               "; send the whole conversation in input";
    return false;
  }
  if (present(request, "conversation") != nullptr) {
    *problem = "conversation cannot be used: this upstream speaks only chat completions, so stored "
               "conversations are not available; send the whole conversation in input";
    return false;
  }
  if (present(request, "prompt") != nullptr) {
    *problem = std::string("prompt (a stored prompt template) cannot be used: ") + kStateless +
               "; send instructions and input instead";
    return false;
  }
  if (const json* background = present(request, "background")) {
    if (!background->is_boolean()) {
      *problem = must_be("background", "true or false", *background);
      return false;
    }
    if (background->get<bool>()) {
      *problem = std::string("background: true needs a stored response, and ") + kStateless +
                 "; send the request without background";
      return false;
    }
  }
  return true;
}

// The fields chat completions has under the same meaning: copied after a type check.
bool copy_scalars(const json& request, json& chat, std::string* problem) {
  struct Scalar {
    const char* key;
    const char* chat_key;
    bool (json::*is)() const noexcept;
    const char* expected;
  };
  for (const Scalar& s : {Scalar{"model", "model", &json::is_string, "a string"},
                          Scalar{"max_output_tokens", "max_tokens", &json::is_number_integer, "an integer"},
                          Scalar{"temperature", "temperature", &json::is_number, "a number"},
                          Scalar{"top_p", "top_p", &json::is_number, "a number"},
                          Scalar{"parallel_tool_calls", "parallel_tool_calls", &json::is_boolean, "true or false"},
                          Scalar{"stream", "stream", &json::is_boolean, "true or false"}}) {
    const json* value = present(request, s.key);
    if (value == nullptr) continue;
    if (!((*value).*s.is)()) {
      *problem = must_be(s.key, s.expected, *value);
      return false;
    }
    chat[s.chat_key] = *value;
  }
  if (chat.value("stream", false)) {
    chat["stream_options"] = {{"include_usage", true}};
  } else {
    chat.erase("stream");
  }
  if (const json* reasoning = present(request, "reasoning")) {
    if (!reasoning->is_object()) {
      *problem = must_be("reasoning", "an object", *reasoning);
      return false;
    }
    std::string effort;
    if (!optional_string(*reasoning, "effort", "reasoning.", &effort, problem)) return false;
    if (!effort.empty()) chat["reasoning_effort"] = effort;
  }
  return true;
}

}  // namespace

// store, include, prompt_cache_key, metadata, user, truncation, service_tier and the fields
// this does not know are not read: they mean nothing to a chat completions upstream.
std::optional<json> to_chat_request(const json& request, std::string* problem) {
  problem->clear();
  if (!request.is_object()) {
    *problem = must_be("the request body", "a JSON object", request);
    return std::nullopt;
  }
  if (!refuse_stateful_fields(request, problem)) return std::nullopt;
  json chat = json::object();
  if (!copy_scalars(request, chat, problem)) return std::nullopt;
  Conversation c;
  std::string instructions;
  if (!optional_string(request, "instructions", "", &instructions, problem)) return std::nullopt;
  if (!instructions.empty()) c.system_texts.push_back(instructions);
  const json* input = present(request, "input");
  if (input == nullptr) {
    *problem = "input is required: send a string or a list of items";
    return std::nullopt;
  }
  if (!read_input(*input, c, problem)) return std::nullopt;
  if (c.messages.empty()) {
    *problem = "input holds no message to answer: send at least one user message";
    return std::nullopt;
  }
  if (!c.system_texts.empty()) {
    c.messages.insert(c.messages.begin(), json{{"role", "system"}, {"content", util::join(c.system_texts, "\n\n")}});
  }
  chat["messages"] = std::move(c.messages);
  if (const json* tools = present(request, "tools"); tools && !read_tools(*tools, chat, problem)) return std::nullopt;
  if (const json* choice = present(request, "tool_choice"); choice && !read_tool_choice(*choice, chat, problem)) {
    return std::nullopt;
  }
  if (const json* text = present(request, "text"); text && !read_text_format(*text, chat, problem)) {
    return std::nullopt;
  }
  return chat;
}

}  // namespace autoswarm::client_api::responses
