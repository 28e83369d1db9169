#include "autoswarm/reflect/transcript.h"

#include <catch2/catch.hpp>

using autoswarm::conversations::Conversation;
using autoswarm::reflect::render_transcript;
using nlohmann::json;

TEST_CASE("a transcript labels each message and ends with the reply", "[reflect]") {
  Conversation c;
  c.messages = json::parse(R"([
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": {"url": "data:..."}}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "run_shell", "arguments": "{\"command\":\"ls\"}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "a.txt"}
  ])");
  c.reply_content = "There is a.txt.";
  std::string t = render_transcript(c, 6000);
  CHECK(t == "[system prompt]\nYou are terse.\n\n"
             "[user]\nWhat is in this picture?\n[image_url]\n\n"
             "[assistant]\n(tool call) run_shell {\"command\":\"ls\"}\n\n"
             "[tool result]\na.txt\n\n"
             "[assistant (the reply being reviewed)]\nThere is a.txt.");
}

TEST_CASE("a long conversation fits the budget and keeps both ends", "[reflect]") {
  Conversation c;
  c.messages = json::array();
  c.messages.push_back({{"role", "system"}, {"content", std::string(20000, 's')}});
  c.messages.push_back({{"role", "user"}, {"content", "FIRST QUESTION"}});
  for (int i = 0; i < 50; ++i) {
    c.messages.push_back({{"role", "assistant"}, {"content", std::string(500, 'm')}});
    c.messages.push_back({{"role", "user"}, {"content", std::string(500, 'u')}});
  }
  c.messages.push_back({{"role", "user"}, {"content", "LAST QUESTION"}});
  c.reply_content = "FINAL ANSWER";
  std::string t = render_transcript(c, 6000);
  CHECK(t.size() <= 6000);
  CHECK_THAT(t, Catch::Contains("FIRST QUESTION"));  // the system prompt did not crowd it out
  CHECK_THAT(t, Catch::Contains("LAST QUESTION"));
  CHECK_THAT(t, Catch::EndsWith("FINAL ANSWER"));
}
