// Text helpers every module shares: cutting text to a size without splitting a UTF-8 character
// (from the end, or out of the middle with a marker), trimming, joining, one-line display, and
// filling {placeholders} in prompt templates. Sizes are in bytes unless a name says otherwise.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autoswarm::util {

// The largest m <= n such that text[0, m) does not end inside a UTF-8 character.
size_t utf8_floor(std::string_view text, size_t n);
// The smallest m >= n (at most text.size()) at which a UTF-8 character starts.
size_t utf8_ceil(std::string_view text, size_t n);

// The first at most `max_bytes` of `text`, ending on a character boundary.
std::string_view utf8_head(std::string_view text, size_t max_bytes);

// `text` cut to at most `max_chars` characters (code points) with `ellipsis` as the last one;
// unchanged when it fits or when max_chars is 0. For columns in a terminal table.
std::string fit_chars(std::string_view text, size_t max_chars, std::string_view ellipsis = "…");

// `text` with its middle left out: the first at most `head_bytes` and the last at most
// `tail_bytes`, each ending / starting on a character boundary, around `marker(omitted)`, where
// `omitted` is the number of bytes left out. Whole when it is no longer than head + tail.
std::string cut_middle(std::string_view text, size_t head_bytes, size_t tail_bytes,
                       const std::function<std::string(size_t omitted)>& marker);

// `text` if it fits in `max_bytes`; otherwise its first ~40 % and last ~60 % around a
// "\n[… N characters cut …]\n" line, at most `max_bytes` in all (what a model shown a long
// transcript or log needs: what was asked, and how it ended).
std::string cut_middle(std::string_view text, size_t max_bytes);

// The length of the longest prefix of `text` that is well-formed UTF-8 (no overlong forms,
// surrogates or code points past U+10FFFF): text.size() when all of it is, else the offset of
// the first byte that is not, for "not UTF-8 at byte N" errors.
size_t utf8_valid_prefix(std::string_view text);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD: command output and files may hold
// any bytes, and the JSON they travel in needs UTF-8.
std::string valid_utf8(std::string_view text);

// `text` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view text);

// `text` with ASCII letters lowered: header names, media types and the switch spellings
// HTTP treats case-insensitively.
std::string ascii_lower(std::string_view text);

// The parts with `separator` between them.
template <typename Strings>
std::string join(const Strings& parts, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& part : parts) {
    if (!first) out += separator;
    out += part;
    first = false;
  }
  return out;
}

// `text` on one line: line breaks and tabs become spaces (listings print one item per line).
std::string one_line(std::string text);

// Replaces each {key} in `text` with its value, in one pass: braces inside the values (code,
// JSON) are never taken for placeholders, and a {name} without a value is left as it is.
std::string fill(std::string_view text,
                 const std::vector<std::pair<std::string_view, std::string>>& values);

}  // namespace autoswarm::util
