#include "autoswarm/conversations/exchange_kind.h"

#include "autoswarm/llm/message_content.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"

namespace autoswarm::conversations {
namespace {

// How Open WebUI's task prompts begin (its DEFAULT_*_PROMPT_TEMPLATE strings, which users may
// replace; replaced ones keep the "### Task:" heading in practice, as its docs show).
constexpr std::string_view kTaskHeading = "### Task:";
constexpr std::string_view kEmojiTask = "Your task is to reflect the speaker's likely facial expression";

}  // namespace

std::string_view kind_name(ExchangeKind kind) { return kind == ExchangeKind::kHelper ? "helper" : "chat"; }

std::optional<ExchangeKind> parse_kind(std::string_view name) {
  if (name == "chat") return ExchangeKind::kChat;
  if (name == "helper") return ExchangeKind::kHelper;
  return std::nullopt;
}

ExchangeKind classify_exchange(const nlohmann::json& messages) {
  if (!messages.is_array()) return ExchangeKind::kChat;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (!it->is_object() || util::string_field(*it, "role") != "user") continue;
    auto content = it->find("content");
    if (content == it->end()) return ExchangeKind::kChat;
    const std::string text = llm::content_text(*content);
    const std::string_view start = util::trim(text);
    return start.starts_with(kTaskHeading) || start.starts_with(kEmojiTask) ? ExchangeKind::kHelper : ExchangeKind::kChat;
  }
  return ExchangeKind::kChat;
}

}  // namespace autoswarm::conversations
