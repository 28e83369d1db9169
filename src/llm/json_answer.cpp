#include "autoswarm/llm/json_answer.h"
#include "autoswarm/util/json.h"

#include <vector>

namespace autoswarm::llm {
namespace {

using nlohmann::json;

// The reply without <think>…</think> blocks (an unterminated one runs to the end).
std::string drop_thinking(std::string_view text) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t open = text.find("<think>", pos);
    if (open == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    size_t close = text.find("</think>", open);
    if (close == std::string_view::npos) return out;
    pos = close + 8;
  }
  out.append(text.substr(pos));
  return out;
}

// The contents of each ``` fenced block (the info string such as "json" after the fence skipped).
std::vector<std::string_view> fenced_blocks(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    size_t open = text.find("```", pos);
    if (open == std::string_view::npos) break;
    size_t body = text.find('\n', open + 3);
    if (body == std::string_view::npos) break;
    size_t close = text.find("```", body + 1);
    if (close == std::string_view::npos) {
      out.push_back(text.substr(body + 1));  // a fence the model never closed
      break;
    }
    out.push_back(text.substr(body + 1, close - body - 1));
    pos = close + 3;
  }
  return out;
}

// The end (one past) of the balanced JSON value opening at text[start], skipping brackets
// inside strings; npos when it never closes.
size_t balanced_end(std::string_view text, size_t start) {
  std::vector<char> stack;
  bool in_string = false, escaped = false;
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') stack.push_back('}');
    else if (c == '[') stack.push_back(']');
    else if (c == '}' || c == ']') {
      if (stack.empty() || stack.back() != c) return std::string_view::npos;
      stack.pop_back();
      if (stack.empty()) return i + 1;
    }
  }
  return std::string_view::npos;
}

// The first position at or after `i` that is not whitespace or a // or /* */ comment.
size_t skip_space_and_comments(std::string_view text, size_t i) {
  for (;;) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
    if (text.substr(i, 2) == "//") {
      size_t nl = text.find('\n', i);
      i = nl == std::string_view::npos ? text.size() : nl + 1;
    } else if (text.substr(i, 2) == "/*") {
      size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      return i;
    }
  }
}

// `text` with each comma that is followed (after whitespace and comments) by } or ] removed,
// outside strings.
std::string without_trailing_commas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',') {
      size_t j = skip_space_and_comments(text, i + 1);
      if (j < text.size() && (text[j] == '}' || text[j] == ']')) continue;
    }
    out.push_back(c);
  }
  return out;
}

std::optional<json> parse_lenient(std::string_view text) {
  json v = util::try_parse_json(text, nullptr, {.ignore_comments = true});
  if (!v.is_discarded()) return v;
  v = util::try_parse_json(without_trailing_commas(text), nullptr, {.ignore_comments = true});
  if (!v.is_discarded()) return v;
  return std::nullopt;
}

}  // namespace

JsonAnswer find_json_answer(std::string_view reply, const JsonAnswerFilter& accept) {
  const std::string text = drop_thinking(reply);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {std::nullopt, "the answer is empty"};
  auto ok = [&](const json& v) {
    if (!v.is_object() && !v.is_array()) return false;
    return !accept || accept(v);
  };
  bool parsed_any = false;
  auto consider = [&](std::string_view candidate) -> std::optional<json> {
    auto v = parse_lenient(candidate);
    if (!v) return std::nullopt;
    parsed_any = true;
    if (ok(*v)) return v;
    return std::nullopt;
  };

  if (auto v = consider(text)) return {std::move(v), ""};
  for (std::string_view block : fenced_blocks(text)) {
    if (auto v = consider(block)) return {std::move(v), ""};
  }
  const std::string_view view(text);
  for (size_t i = 0; i < view.size(); ++i) {
    if (view[i] != '{' && view[i] != '[') continue;
    size_t end = balanced_end(view, i);
    if (end == std::string_view::npos) continue;
    if (auto v = consider(view.substr(i, end - i))) return {std::move(v), ""};
  }
  if (parsed_any) return {std::nullopt, "the JSON in the answer does not have the expected fields"};
  return {std::nullopt, "no JSON object found in the answer"};
}

}  // namespace autoswarm::llm
