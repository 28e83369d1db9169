// Tests for llm/message_content.h.
#include "autoswarm/llm/message_content.h"

#include <catch2/catch.hpp>

using autoswarm::llm::content_text;
using autoswarm::llm::OtherParts;
using nlohmann::json;

TEST_CASE("string content is its own text", "[llm][content]") {
  CHECK(content_text(json("How do I sort a list?")) == "How do I sort a list?");
  CHECK(content_text(json("x"), OtherParts::kNamed) == "x");
}

TEST_CASE("the text parts of a list are joined by newlines, other parts skipped or named", "[llm][content]") {
  const json parts = json::parse(R"([{"type":"text","text":"look at this"},
                                     {"type":"image_url","image_url":{"url":"data:..."}},
                                     {"type":"text","text":"what is it?"}])");
  CHECK(content_text(parts) == "look at this\nwhat is it?");
  CHECK(content_text(parts, OtherParts::kNamed) == "look at this\n[image_url]\nwhat is it?");
}

TEST_CASE("null, numbers and malformed parts give no text", "[llm][content]") {
  CHECK(content_text(json()).empty());
  CHECK(content_text(json(3)).empty());
  CHECK(content_text(json::parse(R"([{"type":7},"text",{"text":"no type"},{"type":"text","text":5}])"),
                     OtherParts::kNamed)
            .empty());
}
