// What the Responses API tests share: the replies and contexts they translate, and a reader
// for the event streams they check.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/chat.h"

namespace autoswarm::responses_test {

using client_api::ReplyContext;
using client_api::responses_api;
using llm::ChatResponse;
using llm::ToolCall;
using nlohmann::json;


inline json translated(const json& request) {
  std::string problem = "stale";
  std::optional<json> chat = responses_api().to_chat_request(request, &problem);
  INFO(problem);
  REQUIRE(chat.has_value());
  CHECK(problem.empty());
  CHECK(autoswarm::llm::chat_request_problem(*chat).empty());
  return *chat;
}

inline std::string refusal(const json& request) {
  std::string problem;
  std::optional<json> chat = responses_api().to_chat_request(request, &problem);
  CHECK_FALSE(chat.has_value());
  CHECK_FALSE(problem.empty());
  return problem;
}

inline json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

inline ReplyContext context(json request = json::object()) {
  ReplyContext c;
  c.model = "qwen3";
  c.id = "abc";
  c.created = 1741476777;
  c.request = std::move(request);
  return c;
}

struct Event {
  std::string name;  // from the event: line
  json data;
};

// Splits a stream into its events; every one must be a whole "event: …\ndata: …\n\n".
inline std::vector<Event> events_of(const std::string& text) {
  std::vector<Event> events;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find("\n\n", at);
    REQUIRE(end != std::string::npos);
    std::string block = text.substr(at, end - at);
    REQUIRE(block.rfind("event: ", 0) == 0);
    size_t newline = block.find('\n');
    REQUIRE(newline != std::string::npos);
    REQUIRE(block.compare(newline + 1, 6, "data: ") == 0);
    Event e{block.substr(7, newline - 7), json::parse(block.substr(newline + 7))};
    CHECK(e.data["type"] == e.name);
    events.push_back(std::move(e));
    at = end + 2;
  }
  return events;
}

inline std::vector<std::string> names_of(const std::vector<Event>& events) {
  std::vector<std::string> names;
  for (const Event& e : events) names.push_back(e.name);
  return names;
}

inline void check_sequence_numbers(const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].data["sequence_number"] == i);
}

inline json delta_chunk(const json& delta, const json& finish_reason = nullptr) {
  return {{"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}})},
          {"usage", nullptr}};
}

inline json tool_delta(int index, const std::string& id, const std::string& name, const std::string& arguments) {
  json function = {{"arguments", arguments}};
  if (!name.empty()) function["name"] = name;
  json call = {{"index", index}, {"function", function}};
  if (!id.empty()) {
    call["id"] = id;
    call["type"] = "function";
  }
  return delta_chunk({{"tool_calls", json::array({call})}});
}

inline json usage_chunk(int prompt, int completion) {
  return {{"choices", json::array()},
          {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion},
                     {"total_tokens", prompt + completion}, {"prompt_tokens_details", {{"cached_tokens", 4}}}}}};
}

inline ToolCall tool_call(const std::string& id, const std::string& name, const std::string& arguments) {
  ToolCall call;
  call.id = id;
  call.name = name;
  call.arguments = arguments;
  return call;
}

inline ChatResponse reply_with(const std::string& content, const std::string& finish_reason = "stop") {
  ChatResponse r;
  r.content = content;
  r.finish_reason = finish_reason;
  r.usage.prompt_tokens = 36;
  r.usage.completion_tokens = 87;
  r.usage.total_tokens = 123;
  r.usage.reported = true;
  return r;
}

inline const json kUsage = {{"input_tokens", 36},
                     {"input_tokens_details", {{"cached_tokens", 0}}},
                     {"output_tokens", 87},
                     {"output_tokens_details", {{"reasoning_tokens", 0}}},
                     {"total_tokens", 123}};


}  // namespace autoswarm::responses_test
