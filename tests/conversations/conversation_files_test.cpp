// Reading conversation records back: parse_conversation over a record's text, as reflect and
// fuzz_conversation_record call it.
#include "autoswarm/conversations/conversation_files.h"

#include <catch2/catch.hpp>

#include "autoswarm/util/error.h"

using autoswarm::FileError;
using autoswarm::conversations::Conversation;
using autoswarm::conversations::parse_conversation;

TEST_CASE("parse_conversation reads a record's fields from its text", "[conversations]") {
  Conversation c = parse_conversation(
      R"({"id":"c1","model":"qwen","status":502,"error":"upstream closed",)"
      R"("messages":[{"role":"user","content":"hi"}],"reply":{"content":"","finish_reason":"stop"},)"
      R"("injected_skills":["sk-1"]})",
      "conversations/c1.json");
  CHECK(c.id == "c1");
  CHECK(c.model == "qwen");
  CHECK(c.status == 502);
  CHECK(c.failed());
  CHECK(c.injected_skills == std::vector<std::string>{"sk-1"});
  CHECK(c.messages.size() == 1);
}

TEST_CASE("parse_conversation names the file when the text is not a record", "[conversations]") {
  CHECK_THROWS_WITH(parse_conversation("{\"id\": ", "conversations/c2.json"),
                    "conversations/c2.json: not valid JSON");
  CHECK_THROWS_WITH(parse_conversation("[1, 2]", "conversations/c3.json"),
                    Catch::StartsWith("conversations/c3.json: not a conversation record"));
  CHECK_THROWS_AS(parse_conversation(R"({"messages":[{"role":5,"content":"x"}]})", "c4.json"), FileError);
}
