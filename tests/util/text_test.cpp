#include "autoswarm/util/text.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <vector>

using namespace autoswarm::util;
namespace util = autoswarm::util;

TEST_CASE("UTF-8 boundaries never fall inside a character", "[util]") {
  const std::string s = "aé€😀";  // 1, 2, 3 and 4 bytes
  CHECK(utf8_floor(s, 2) == 1);
  CHECK(utf8_floor(s, 3) == 3);
  CHECK(utf8_floor(s, 5) == 3);
  CHECK(utf8_floor(s, 99) == s.size());
  CHECK(utf8_ceil(s, 2) == 3);
  CHECK(utf8_ceil(s, 7) == 10);
  CHECK(utf8_ceil(s, 99) == s.size());
  CHECK(utf8_head(s, 9) == "aé€");
  CHECK(utf8_head(s, 0).empty());
}

TEST_CASE("fit_chars counts characters, not bytes, and ends in the ellipsis", "[util]") {
  CHECK(fit_chars("héllo wörld", 20) == "héllo wörld");
  CHECK(fit_chars("héllo wörld", 5) == "héll…");
  CHECK(fit_chars("anything", 0) == "anything");
}

TEST_CASE("cut_middle keeps the head and the tail around a marker naming what was cut", "[util]") {
  std::string text(100, 'a');
  text += std::string(100, 'z');
  std::string cut = cut_middle(text, 10, 20, [](size_t n) { return "<" + std::to_string(n) + ">"; });
  CHECK(cut == std::string(10, 'a') + "<170>" + std::string(20, 'z'));
  CHECK(cut_middle("short", 10, 10, [](size_t) { return std::string("!"); }) == "short");

  // The bounded form fits the budget exactly and never splits a character.
  std::string wide;
  for (int i = 0; i < 500; ++i) wide += "é";
  std::string bounded = cut_middle(wide, 200);
  CHECK(bounded.size() <= 200);
  CHECK(bounded.find("characters cut") != std::string::npos);
  CHECK(valid_utf8(bounded) == bounded);
  CHECK(cut_middle("fits", 200) == "fits");
  CHECK(cut_middle(wide, 5).size() <= 5);
}

TEST_CASE("valid_utf8 replaces broken sequences and keeps good text", "[util]") {
  CHECK(valid_utf8("plain é") == "plain é");
  CHECK(valid_utf8(std::string("a\xff" "b")) == "a\xEF\xBF\xBD" "b");
}

TEST_CASE("trim, join and one_line", "[util]") {
  CHECK(trim("  a b \t\r\n") == "a b");
  CHECK(trim(" \n ").empty());
  CHECK(join(std::vector<std::string>{"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join(std::set<std::string>{"y", "x"}, "|") == "x|y");
  CHECK(join(std::vector<std::string>{}, ",").empty());
  CHECK(one_line("a\nb\tc\r") == "a b c ");
}

TEST_CASE("fill replaces placeholders once and leaves braces in values alone", "[util]") {
  CHECK(fill("Hi {name}, see {missing} and {name}", {{"name", "{x}"}}) == "Hi {x}, see {missing} and {x}");
  CHECK(fill("no placeholders {", {}) == "no placeholders {");
}

TEST_CASE("the bounded cut_middle keeps short text and cuts long text around a marker", "[util]") {
  CHECK(cut_middle("short", 100) == "short");
  std::string text = std::string(5000, 'a') + std::string(5000, 'z');
  std::string cut = cut_middle(text, 1000);
  CHECK(cut.size() <= 1000);
  CHECK(cut.front() == 'a');  // the start ...
  CHECK(cut.back() == 'z');   // ... and the end are kept
  CHECK_THAT(cut, Catch::Contains(" characters cut …]"));
  // The tail is the larger part: the end of a conversation says how it went.
  CHECK(cut.find('z') < cut.size() - 500);
}

TEST_CASE("the bounded cut_middle never splits a UTF-8 character", "[util]") {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "é";  // two bytes each
  std::string cut = cut_middle(text, 501);
  CHECK(cut.size() <= 501);
  nlohmann::json j = cut;  // nlohmann throws on invalid UTF-8 when dumping
  CHECK_NOTHROW(j.dump());
}


TEST_CASE("ascii_lower lowers ASCII letters and leaves every other byte alone", "[util]") {
  CHECK(ascii_lower("Content-TYPE: X") == "content-type: x");
  CHECK(ascii_lower("\xC3\x89t\xC3\xA9") == "\xC3\x89t\xC3\xA9");
  CHECK(ascii_lower("") == "");
}

TEST_CASE("utf8_valid_prefix ends at the first byte that is not well-formed UTF-8", "[util]") {
  CHECK(util::utf8_valid_prefix("") == 0);
  CHECK(util::utf8_valid_prefix("plain ascii") == 11);
  CHECK(util::utf8_valid_prefix("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == 14);  // é € 😀
  CHECK(util::utf8_valid_prefix("caf\xe9") == 3);                 // Latin-1
  CHECK(util::utf8_valid_prefix("ab\x80") == 2);                  // a lone continuation byte
  CHECK(util::utf8_valid_prefix("ab\xe2\x82") == 2);              // cut short
  CHECK(util::utf8_valid_prefix("\xc0\xaf") == 0);                // overlong "/"
  CHECK(util::utf8_valid_prefix("\xe0\x80\xaf") == 0);            // overlong, 3 bytes
  CHECK(util::utf8_valid_prefix("x\xed\xa0\x80") == 1);           // a UTF-16 surrogate
  CHECK(util::utf8_valid_prefix("\xf4\x90\x80\x80") == 0);        // past U+10FFFF
  CHECK(util::utf8_valid_prefix(std::string_view("a\0b", 3)) == 3);
}
