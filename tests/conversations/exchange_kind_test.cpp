// Which requests are a front end's background tasks rather than a person's chat.
#include "autoswarm/conversations/exchange_kind.h"

#include <catch2/catch.hpp>

using autoswarm::conversations::classify_exchange;
using autoswarm::conversations::ExchangeKind;
using autoswarm::conversations::kind_name;
using autoswarm::conversations::parse_kind;
using nlohmann::json;

namespace {
json user_says(const json& content) { return json::array({{{"role", "user"}, {"content", content}}}); }
}  // namespace

TEST_CASE("Open WebUI's task prompts are helper calls", "[conversations][kind]") {
  // How its title, tags, follow-up, query and autocomplete prompts begin; the chat history
  // follows inside <chat_history>.
  for (const char* prompt : {
           "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n"
           "### Chat History:\n<chat_history>\nUSER: my Makefile fails\n</chat_history>",
           "### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history.",
           "### Task:\nSuggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next.",
           "### Task:\nAnalyze the chat history to determine the necessity of generating search queries.",
           "  \n### Task:\nYou are an autocompletion system. Continue the text in <text>.",
           "Your task is to reflect the speaker's likely facial expression through a fitting emoji."}) {
    INFO(prompt);
    CHECK(classify_exchange(user_says(prompt)) == ExchangeKind::kHelper);
  }
  // Also when the prompt comes in text parts, after a system message and earlier turns.
  json parts = json::array({{{"role", "system"}, {"content", "Be terse."}},
                            {{"role", "user"}, {"content", "hi"}},
                            {{"role", "assistant"}, {"content", "hello"}},
                            {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "### Task:\nTags."}}})}}});
  CHECK(classify_exchange(parts) == ExchangeKind::kHelper);
}

TEST_CASE("a person's question is a chat, also one that quotes a task heading later on", "[conversations][kind]") {
  CHECK(classify_exchange(user_says("my Makefile says missing separator")) == ExchangeKind::kChat);
  CHECK(classify_exchange(user_says("what does '### Task:' mean in this prompt?")) == ExchangeKind::kChat);
  // Only the last user message counts: a task prompt earlier in a chat does not make it a helper.
  json later = json::array({{{"role", "user"}, {"content", "### Task:\nTitle."}},
                            {{"role", "assistant"}, {"content", "ok"}},
                            {{"role", "user"}, {"content", "now a real question"}}});
  CHECK(classify_exchange(later) == ExchangeKind::kChat);
  CHECK(classify_exchange(json::array()) == ExchangeKind::kChat);
  CHECK(classify_exchange(json::object()) == ExchangeKind::kChat);
  CHECK(classify_exchange(json::array({{{"role", 5}, {"content", "### Task:"}}})) == ExchangeKind::kChat);
}

TEST_CASE("exchange kinds have one spelling each way", "[conversations][kind]") {
  CHECK(kind_name(ExchangeKind::kChat) == "chat");
  CHECK(kind_name(ExchangeKind::kHelper) == "helper");
  CHECK(parse_kind("helper") == ExchangeKind::kHelper);
  CHECK(parse_kind("chat") == ExchangeKind::kChat);
  CHECK_FALSE(parse_kind("Helper"));
}
