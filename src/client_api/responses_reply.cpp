// A whole chat reply as a Response object, and the pieces of that object the stream's events
// carry too, so a streamed reply ends with the same object a whole one is.
#include "responses_parts.h"

namespace autoswarm::client_api::responses {
namespace {

// request[key] when it has the type `is` checks for, `fallback` otherwise: the echoed fields
// say what the reply was made with, which is OpenAI's default when the client sent nothing.
json echoed(const json& request, const char* key, bool (json::*is)() const noexcept, json fallback) {
  if (!request.is_object()) return fallback;
  auto it = request.find(key);
  return it != request.end() && ((*it).*is)() ? *it : fallback;
}

json echoed_text(const json& request) {
  json text = echoed(request, "text", &json::is_object, json::object());
  if (!text.contains("format") || !text["format"].is_object()) text["format"] = {{"type", "text"}};
  return text;
}

json echoed_tool_choice(const json& request) {
  json choice = echoed(request, "tool_choice", &json::is_object, nullptr);
  return choice.is_null() ? echoed(request, "tool_choice", &json::is_string, "auto") : choice;
}

json echoed_reasoning(const json& request) {
  json sent = echoed(request, "reasoning", &json::is_object, json::object());
  json reasoning = {{"effort", nullptr}, {"summary", nullptr}};
  for (const char* key : {"effort", "summary"}) {
    if (sent.contains(key) && sent[key].is_string()) reasoning[key] = sent[key];
  }
  return reasoning;
}

}  // namespace

std::string dump_json(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string response_id(const ReplyContext& context) {
  return context.id.rfind("resp_", 0) == 0 ? context.id : "resp_" + context.id;
}

std::string item_id(std::string_view prefix, const ReplyContext& context, size_t output_index) {
  std::string_view exchange = context.id;
  if (exchange.rfind("resp_", 0) == 0) exchange.remove_prefix(5);
  std::string id(prefix);
  id.append(exchange).append("_").append(std::to_string(output_index));
  return id;
}

std::string_view status_name(ResponseStatus status) {
  switch (status) {
    case ResponseStatus::kInProgress: return "in_progress";
    case ResponseStatus::kCompleted: return "completed";
    case ResponseStatus::kIncomplete: return "incomplete";
    case ResponseStatus::kFailed: return "failed";
  }
  return "completed";
}

ResponseStatus status_for_finish(const std::string& finish_reason, std::string* incomplete_reason) {
  if (finish_reason == "length") {
    *incomplete_reason = "max_output_tokens";
    return ResponseStatus::kIncomplete;
  }
  if (finish_reason == "content_filter") {
    *incomplete_reason = "content_filter";
    return ResponseStatus::kIncomplete;
  }
  incomplete_reason->clear();
  return ResponseStatus::kCompleted;
}

json usage_object(const llm::Usage& usage) {
  return {{"input_tokens", usage.prompt_tokens},
          {"input_tokens_details", {{"cached_tokens", usage.cached_tokens.value_or(0)}}},
          {"output_tokens", usage.completion_tokens},
          // Chat completions count reasoning inside completion_tokens without saying how much.
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", usage.total_tokens}};
}

json reasoning_item(const std::string& id, const std::string& text) {
  return {{"type", "reasoning"},
          {"id", id},
          {"summary", json::array()},
          {"content", json::array({{{"type", "reasoning_text"}, {"text", text}}})}};
}

json message_item(const std::string& id, const std::string& text, ResponseStatus status) {
  return {{"type", "message"},
          {"id", id},
          {"status", status_name(status)},
          {"role", "assistant"},
          {"content", json::array({{{"type", "output_text"}, {"text", text}, {"annotations", json::array()}}})}};
}

json function_call_item(const std::string& id, const std::string& call_id, const std::string& name,
                        const std::string& arguments, ResponseStatus status) {
  return {{"type", "function_call"}, {"id", id},     {"status", status_name(status)},
          {"call_id", call_id},      {"name", name}, {"arguments", arguments}};
}

json response_object(const ReplyContext& context, ResponseStatus status, json output, json usage,
                     json error, const std::string& incomplete_reason) {
  const json& request = context.request;
  json incomplete_details = nullptr;
  if (status == ResponseStatus::kIncomplete) incomplete_details = {{"reason", incomplete_reason}};
  return {{"id", response_id(context)},
          {"object", "response"},
          {"created_at", context.created},
          {"status", status_name(status)},
          {"model", context.model},
          {"output", std::move(output)},
          {"usage", std::move(usage)},
          {"error", std::move(error)},
          {"incomplete_details", std::move(incomplete_details)},
          {"instructions", echoed(request, "instructions", &json::is_string, nullptr)},
          {"tools", echoed(request, "tools", &json::is_array, json::array())},
          {"tool_choice", echoed_tool_choice(request)},
          {"temperature", echoed(request, "temperature", &json::is_number, 1.0)},
          {"top_p", echoed(request, "top_p", &json::is_number, 1.0)},
          {"max_output_tokens", echoed(request, "max_output_tokens", &json::is_number_integer, nullptr)},
          // Stateless: nothing was stored, so no reply continues an earlier one.
          {"previous_response_id", nullptr},
          {"store", echoed(request, "store", &json::is_boolean, true)},
          {"metadata", echoed(request, "metadata", &json::is_object, json::object())},
          {"parallel_tool_calls", echoed(request, "parallel_tool_calls", &json::is_boolean, true)},
          {"text", echoed_text(request)},
          {"reasoning", echoed_reasoning(request)}};
}

json from_chat_reply(const llm::ChatResponse& reply, const ReplyContext& context) {
  std::string incomplete_reason;
  const ResponseStatus status = status_for_finish(reply.finish_reason, &incomplete_reason);
  json output = json::array();
  if (!reply.reasoning_content.empty()) {
    output.push_back(reasoning_item(item_id("rs_", context, output.size()), reply.reasoning_content));
  }
  if (!reply.content.empty()) {
    output.push_back(message_item(item_id("msg_", context, output.size()), reply.content, status));
  }
  for (const llm::ToolCall& call : reply.tool_calls) {
    const size_t index = output.size();
    const std::string call_id = call.id.empty() ? item_id("call_", context, index) : call.id;
    output.push_back(function_call_item(item_id("fc_", context, index), call_id, call.name, call.arguments,
                                        ResponseStatus::kCompleted));
  }
  return response_object(context, status, std::move(output), usage_object(reply.usage), nullptr, incomplete_reason);
}

}  // namespace autoswarm::client_api::responses
