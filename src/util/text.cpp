#include "autoswarm/util/text.h"

#include <nlohmann/json.hpp>

namespace autoswarm::util {
namespace {

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

size_t utf8_floor(std::string_view text, size_t n) {
  if (n >= text.size()) return text.size();
  while (n > 0 && continuation_byte(text[n])) --n;
  return n;
}

size_t utf8_ceil(std::string_view text, size_t n) {
  while (n < text.size() && continuation_byte(text[n])) ++n;
  return std::min(n, text.size());
}

std::string_view utf8_head(std::string_view text, size_t max_bytes) {
  return text.substr(0, utf8_floor(text, max_bytes));
}

std::string fit_chars(std::string_view text, size_t max_chars, std::string_view ellipsis) {
  if (max_chars == 0) return std::string(text);
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if (continuation_byte(text[i])) continue;
    if (++chars > max_chars - 1) break;
  }
  if (i >= text.size()) return std::string(text);
  std::string out(text.substr(0, i));
  out += ellipsis;
  return out;
}

std::string cut_middle(std::string_view text, size_t head_bytes, size_t tail_bytes,
                       const std::function<std::string(size_t omitted)>& marker) {
  if (text.size() <= head_bytes + tail_bytes) return std::string(text);
  const size_t head = utf8_floor(text, head_bytes);
  const size_t tail_start = utf8_ceil(text, text.size() - tail_bytes);
  std::string out(text.substr(0, head));
  out += marker(tail_start - head);
  out += text.substr(tail_start);
  return out;
}

std::string cut_middle(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  // The marker's length bounds itself: the number it shows is at most text.size().
  const size_t marker_bytes = ("\n[… " + std::to_string(text.size()) + " characters cut …]\n").size();
  if (max_bytes <= marker_bytes + 2) return std::string(utf8_head(text, max_bytes));
  const size_t keep = max_bytes - marker_bytes;
  const size_t head = keep * 2 / 5;
  return cut_middle(text, head, keep - head, [](size_t omitted) {
    return "\n[… " + std::to_string(omitted) + " characters cut …]\n";
  });
}

size_t utf8_valid_prefix(std::string_view text) {
  // The table of well-formed byte sequences of the Unicode standard (ch. 3, table 3-7).
  size_t i = 0;
  while (i < text.size()) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char c = b(0);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;       // overlong
      else if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;       // overlong
      else if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return i;
    }
    if (i + n > text.size()) return i;
    if (n > 1 && (b(1) < lo || b(1) > hi)) return i;
    for (size_t k = 2; k < n; ++k) {
      if (b(k) < 0x80 || b(k) > 0xBF) return i;
    }
    i += n;
  }
  return i;
}

std::string valid_utf8(std::string_view text) {
  // nlohmann's serializer is the UTF-8 validator we already ship: dump with `replace`, read back.
  const std::string quoted =
      nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const size_t b = text.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return text.substr(b, text.find_last_not_of(kSpace) - b + 1);
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

std::string fill(std::string_view text,
                 const std::vector<std::pair<std::string_view, std::string>>& values) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    std::string_view key = text.substr(open + 1, close - open - 1);
    const std::string* value = nullptr;
    for (const auto& [k, v] : values) {
      if (k == key) value = &v;
    }
    if (value) {
      out += *value;
      i = close + 1;
    } else {
      out += '{';
      i = open + 1;
    }
  }
  if (i < text.size()) out.append(text.substr(i));
  return out;
}

}  // namespace autoswarm::util
