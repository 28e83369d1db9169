// What kind of exchange a conversation-log record is: a chat a person typed, or a helper call
// no person typed — the background requests a chat front end makes around a chat (Open WebUI
// asks the same model for a title, tags, follow-up questions, search queries and
// autocompletions, each a prompt starting "### Task:"). Helper calls are logged, but they get no
// skills and reflect never reviews them: a lesson learned from "generate a 3-5 word title" is
// junk in every later system prompt.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autoswarm::conversations {

enum class ExchangeKind {
  kChat,    // what a person asked
  kHelper,  // a front end's background task
};

std::string_view kind_name(ExchangeKind kind);                   // "chat", "helper"
std::optional<ExchangeKind> parse_kind(std::string_view name);   // the inverse; nullopt otherwise

// The kind of a chat completions request, from its messages: a helper call when its last user
// message is one of Open WebUI's task prompts (it starts with "### Task:", or is the emoji
// task's "Your task is to reflect the speaker's likely facial expression"); a chat otherwise.
ExchangeKind classify_exchange(const nlohmann::json& messages);

}  // namespace autoswarm::conversations
