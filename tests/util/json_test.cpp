#include "autoswarm/util/json.h"

#include <catch2/catch.hpp>

using namespace autoswarm::util;
using nlohmann::json;

namespace {
std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST_CASE("parse_json reads JSON and names what is wrong with text that is not", "[util]") {
  CHECK(parse_json(R"({"a":[1,2,{"b":null}]})")["a"][2].contains("b"));
  try {
    parse_json("{\"a\": }");
    FAIL("expected a JsonError");
  } catch (const JsonError& e) {
    CHECK(std::string(e.what()).find("parse error") == 0);
    CHECK(std::string(e.what()).find("line 1") != std::string::npos);
  }
}

TEST_CASE("nesting is bounded: 256 levels parse, deeper is an error, never a crash", "[util]") {
  CHECK(parse_json(nested_arrays(kMaxJsonDepth)).is_array());
  CHECK(parse_json(nested_arrays(10), {.max_depth = 10}).is_array());
  CHECK_THROWS_AS(parse_json(nested_arrays(11), {.max_depth = 10}), JsonError);
  CHECK_THROWS_AS(parse_json(nested_arrays(kMaxJsonDepth + 1)), JsonError);
  // The reproduction that crashed the proxy: 70,000 levels inside a chat request.
  std::string hostile = R"({"messages":[{"role":"user","content":"x"},)" + nested_arrays(70000) + "]}";
  std::string why;
  CHECK(try_parse_json(hostile, &why).is_discarded());
  CHECK(why == "JSON nested deeper than 256 levels");
  CHECK(parse_ordered_json(R"({"b":1,"a":2})").begin().key() == "b");
  CHECK_THROWS_AS(parse_ordered_json(nested_arrays(300)), JsonError);
}

TEST_CASE("comments are read only when asked for", "[util]") {
  CHECK(try_parse_json("{\"a\": 1 // one\n}").is_discarded());
  CHECK(parse_json("{\"a\": 1 // one\n}", {.ignore_comments = true})["a"] == 1);
}

TEST_CASE("field readers tolerate any shape", "[util]") {
  json j = {{"s", "text"}, {"n", 3}, {"z", nullptr}, {"o", {{"k", 1}}}};
  CHECK(string_field(j, "s") == "text");
  CHECK(string_field(j, "n").empty());
  CHECK(string_field(json::array(), "s").empty());
  CHECK(field_text(j, "s") == "text");
  CHECK(field_text(j, "n") == "3");
  CHECK(field_text(j, "z").empty());
  CHECK(field_text(j, "missing").empty());
  CHECK(field_text(j, "o") == R"({"k":1})");
}
