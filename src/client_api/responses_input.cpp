// The items of a Responses request's `input` as chat messages: message items (text and images),
// function calls as assistant tool_calls, their outputs as tool messages. Reasoning items are
// dropped; items that only OpenAI's servers produce or can resolve are refused.
#include "autoswarm/util/text.h"
#include "responses_parts.h"

namespace autoswarm::client_api::responses {
namespace {

enum class Role { kUser, kAssistant, kSystem };

// A message item's content as chat content: text parts joined into a string (what every chat
// server reads), or a list of text and image_url parts when there are images.
bool read_message_content(const json& content, const std::string& at, Role role, json* out, std::string* problem) {
  if (content.is_string()) {
    *out = content;
    return true;
  }
  if (!content.is_array()) {
    *problem = must_be(at, "a string or a list of content parts", content);
    return false;
  }
  std::vector<std::string> texts;
  json parts = json::array();
  bool has_image = false;
  for (size_t k = 0; k < content.size(); ++k) {
    const json& part = content[k];
    const std::string part_at = at + "[" + std::to_string(k) + "]";
    if (!part.is_object()) {
      *problem = must_be(part_at, "an object", part);
      return false;
    }
    std::string type;
    if (!required_string(part, "type", part_at + ".", &type, problem)) return false;
    std::string text;
    if (type == "input_text" || type == "output_text" || type == "text") {
      if (!required_string(part, "text", part_at + ".", &text, problem)) return false;
    } else if (type == "refusal") {
      if (!required_string(part, "refusal", part_at + ".", &text, problem)) return false;
    } else if (type == "input_image") {
      if (role != Role::kUser) {
        *problem = part_at + ".type 'input_image' is allowed in user messages only";
        return false;
      }
      std::string url, detail;
      if (present(part, "image_url") == nullptr && present(part, "file_id") != nullptr) {
        *problem = part_at + ".file_id cannot be translated: uploaded files are not available to a chat "
                   "completions upstream; send the image as image_url (a URL or a data: URL)";
        return false;
      }
      if (!required_string(part, "image_url", part_at + ".", &url, problem)) return false;
      if (!optional_string(part, "detail", part_at + ".", &detail, problem)) return false;
      json image = {{"url", url}};
      if (!detail.empty()) image["detail"] = detail;
      parts.push_back({{"type", "image_url"}, {"image_url", image}});
      has_image = true;
      continue;
    } else {
      *problem = part_at + ".type '" + type +
                 "' cannot be translated to chat completions; send input_text or input_image parts";
      return false;
    }
    if (text.empty()) continue;
    texts.push_back(text);
    parts.push_back({{"type", "text"}, {"text", text}});
  }
  *out = has_image ? parts : json(util::join(texts, "\n"));
  return true;
}

bool read_message(const json& item, const std::string& at, Conversation& c, std::string* problem) {
  std::string role_name;
  if (!required_string(item, "role", at + ".", &role_name, problem)) return false;
  Role role;
  if (role_name == "user") role = Role::kUser;
  else if (role_name == "assistant") role = Role::kAssistant;
  else if (role_name == "system" || role_name == "developer") role = Role::kSystem;
  else {
    *problem = at + ".role '" + role_name + "' is not one of user, assistant, system, developer";
    return false;
  }
  auto content_it = item.find("content");
  if (content_it == item.end()) {
    *problem = at + ".content is required";
    return false;
  }
  json content;
  if (!read_message_content(*content_it, at + ".content", role, &content, problem)) return false;
  if (role == Role::kSystem) {
    if (!content.is_string()) {
      *problem = at + ".content of a " + role_name + " message may hold text only";
      return false;
    }
    if (!content.get_ref<const std::string&>().empty()) c.system_texts.push_back(content.get<std::string>());
    return true;
  }
  c.messages.push_back({{"role", role == Role::kUser ? "user" : "assistant"}, {"content", std::move(content)}});
  return true;
}

// A function_call joins the assistant message just before it (its text, or the calls before
// it), so one model turn stays one assistant message with all its tool_calls.
bool read_function_call(const json& item, const std::string& at, Conversation& c, std::string* problem) {
  std::string call_id, name, arguments = "{}";
  if (!required_string(item, "call_id", at + ".", &call_id, problem)) return false;
  if (!required_string(item, "name", at + ".", &name, problem)) return false;
  if (!optional_string(item, "arguments", at + ".", &arguments, problem)) return false;
  json call = {{"id", call_id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
  json& messages = c.messages;
  if (messages.empty() || messages.back()["role"] != "assistant") {
    messages.push_back({{"role", "assistant"}, {"content", ""}});
  }
  json& turn = messages.back();
  if (!turn.contains("tool_calls")) turn["tool_calls"] = json::array();
  turn["tool_calls"].push_back(std::move(call));
  return true;
}

bool read_function_call_output(const json& item, const std::string& at, Conversation& c, std::string* problem) {
  std::string call_id;
  if (!required_string(item, "call_id", at + ".", &call_id, problem)) return false;
  const json* output = present(item, "output");
  std::string text;
  if (output == nullptr) {
    *problem = at + ".output is required";
    return false;
  } else if (output->is_string()) {
    text = output->get<std::string>();
  } else if (output->is_array()) {
    std::vector<std::string> texts;
    for (size_t k = 0; k < output->size(); ++k) {
      const json& part = (*output)[k];
      const std::string part_at = at + ".output[" + std::to_string(k) + "]";
      if (!part.is_object()) {
        *problem = must_be(part_at, "an object", part);
        return false;
      }
      std::string type, part_text;
      if (!required_string(part, "type", part_at + ".", &type, problem)) return false;
      if (type != "input_text" && type != "output_text") {
        *problem = part_at + ".type '" + type +
                   "' cannot be translated to a chat completions tool message; send input_text parts";
        return false;
      }
      if (!required_string(part, "text", part_at + ".", &part_text, problem)) return false;
      texts.push_back(part_text);
    }
    text = util::join(texts, "\n");
  } else {
    *problem = must_be(at + ".output", "a string or a list of input_text parts", *output);
    return false;
  }
  c.messages.push_back({{"role", "tool"}, {"tool_call_id", call_id}, {"content", text}});
  return true;
}

}  // namespace

bool read_input(const json& input, Conversation& c, std::string* problem) {
  if (input.is_string()) {
    c.messages.push_back({{"role", "user"}, {"content", input}});
    return true;
  }
  if (!input.is_array()) {
    *problem = must_be("input", "a string or a list of items", input);
    return false;
  }
  for (size_t i = 0; i < input.size(); ++i) {
    const json& item = input[i];
    const std::string at = "input[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      *problem = must_be(at, "an object", item);
      return false;
    }
    // Short items ({role, content}) are messages without a type.
    std::string type = "message";
    if (!optional_string(item, "type", at + ".", &type, problem)) return false;
    bool ok = true;
    if (type == "message") ok = read_message(item, at, c, problem);
    else if (type == "function_call") ok = read_function_call(item, at, c, problem);
    else if (type == "function_call_output") ok = read_function_call_output(item, at, c, problem);
    else if (type == "reasoning") continue;  // the model's own notes: chat has no way to send them back
    else {
      *problem = at + ".type '" + type +
                 "' cannot be translated to chat completions; send message, function_call and "
                 "function_call_output items";
      return false;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace autoswarm::client_api::responses
