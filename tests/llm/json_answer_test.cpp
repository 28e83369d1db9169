#include "autoswarm/llm/json_answer.h"

#include <catch2/catch.hpp>

using autoswarm::llm::find_json_answer;
using nlohmann::json;

namespace {
bool has_lesson(const json& v) { return v.is_object() && v.contains("lesson"); }
}  // namespace

TEST_CASE("a bare JSON answer is read as it is", "[json_answer]") {
  auto a = find_json_answer(R"(  {"lesson": "Quote paths.", "reason": "x"}  )", has_lesson);
  REQUIRE(a.value);
  CHECK((*a.value)["lesson"] == "Quote paths.");
  CHECK(a.error.empty());
}

TEST_CASE("JSON inside a code fence is found", "[json_answer]") {
  auto a = find_json_answer("Here you go:\n```json\n{\"lesson\": null}\n```\nHope it helps!", has_lesson);
  REQUIRE(a.value);
  CHECK((*a.value)["lesson"].is_null());
  auto b = find_json_answer("```\n{\"lesson\": \"x y z w\"}\n```", has_lesson);
  REQUIRE(b.value);
  auto unclosed = find_json_answer("```json\n{\"lesson\": \"a\"}\n", has_lesson);
  REQUIRE(unclosed.value);
}

TEST_CASE("JSON after prose, with braces inside strings, is found", "[json_answer]") {
  auto a = find_json_answer(R"(I think the answer is {"lesson": "Use {braces} and \"quotes\" } carefully", "reason": "r"}. Done.)",
                            has_lesson);
  REQUIRE(a.value);
  CHECK((*a.value)["lesson"] == "Use {braces} and \"quotes\" } carefully");
}

TEST_CASE("thinking blocks are ignored", "[json_answer]") {
  auto a = find_json_answer("<think>maybe {\"lesson\": \"wrong\"}</think>\n{\"lesson\": \"right one\"}", has_lesson);
  REQUIRE(a.value);
  CHECK((*a.value)["lesson"] == "right one");
}

TEST_CASE("trailing commas and comments are forgiven", "[json_answer]") {
  auto a = find_json_answer("{\"remove\": [{\"id\": \"sk-1\", \"reason\": \"vague\",},], // none else\n}");
  REQUIRE(a.value);
  CHECK((*a.value)["remove"][0]["id"] == "sk-1");
}

TEST_CASE("the filter skips JSON that is not the answer", "[json_answer]") {
  auto a = find_json_answer(R"(The example {"x": 1} is not it; this is: {"lesson": "ok then"})", has_lesson);
  REQUIRE(a.value);
  CHECK((*a.value)["lesson"] == "ok then");
  // The nested object wins when the outer one lacks the field.
  auto b = find_json_answer(R"({"answer": {"lesson": "inner"}})", has_lesson);
  REQUIRE(b.value);
  CHECK((*b.value)["lesson"] == "inner");
}

TEST_CASE("an answer without usable JSON says why", "[json_answer]") {
  auto none = find_json_answer("I could not find any lesson here.", has_lesson);
  CHECK_FALSE(none.value);
  CHECK(none.error == "no JSON object found in the answer");
  auto wrong = find_json_answer(R"({"verdict": "keep"})", has_lesson);
  CHECK_FALSE(wrong.value);
  CHECK(wrong.error == "the JSON in the answer does not have the expected fields");
  auto empty = find_json_answer("  \n", has_lesson);
  CHECK(empty.error == "the answer is empty");
  auto broken = find_json_answer(R"({"lesson": "unterminated)", has_lesson);
  CHECK_FALSE(broken.value);
  CHECK_FALSE(find_json_answer("42").value);  // scalars are not answers
}
