// Reading a verdict or a branch choice out of a stage's output (pipeline_spec.h).
#include <algorithm>
#include <cctype>

#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/llm/json_answer.h"

namespace autoswarm::bench {

namespace {

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Where `word` first occurs in `text` as a whole word (case-insensitively when asked); npos if never.
size_t find_word(const std::string& text, const std::string& word, bool ignore_case) {
  auto same = [&](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  for (size_t at = 0; at + word.size() <= text.size(); ++at) {
    if (!std::equal(word.begin(), word.end(), text.begin() + static_cast<std::ptrdiff_t>(at), same)) continue;
    // '.' ends sentences ("PASS."): only letters, digits, '_' and '-' glue words together.
    bool starts = at == 0 || !word_char(text[at - 1]);
    size_t end = at + word.size();
    bool ends = end == text.size() || !word_char(text[end]) ||
                (text[end] == '.' && (end + 1 == text.size() || !word_char(text[end + 1])));
    if (starts && ends) return at;
  }
  return std::string::npos;
}

}  // namespace

std::optional<std::string> read_output(const std::string& output, const OutputReading& reading) {
  if (reading.json_field.empty()) {
    size_t end = output.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) return std::nullopt;
    size_t begin = output.find_last_of('\n', end);
    begin = begin == std::string::npos ? 0 : begin + 1;
    std::string line = output.substr(begin, end - begin + 1);
    return line.substr(line.find_first_not_of(" \t"));
  }
  llm::JsonAnswer answer = llm::find_json_answer(output, [&](const nlohmann::json& j) {
    return j.is_object() && j.contains(reading.json_field);
  });
  if (!answer.value) return std::nullopt;
  const nlohmann::json& value = (*answer.value)[reading.json_field];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::optional<bool> read_verdict(const std::string& output, const OutputReading& reading) {
  std::optional<std::string> text = read_output(output, reading);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  bool pass = find_word(*text, "pass", true) != std::string::npos ||
              find_word(*text, "passed", true) != std::string::npos;
  bool fail = find_word(*text, "fail", true) != std::string::npos ||
              find_word(*text, "failed", true) != std::string::npos;
  if (pass == fail) return std::nullopt;
  return pass;
}

std::optional<std::string> read_choice(const std::string& output, const OutputReading& reading,
                                       const std::vector<std::string>& branches) {
  std::optional<std::string> text = read_output(output, reading);
  if (!text) return std::nullopt;
  std::optional<std::string> chosen;
  size_t first = std::string::npos;
  for (const std::string& branch : branches) {
    size_t at = find_word(*text, branch, false);
    if (at < first) {
      first = at;
      chosen = branch;
    }
  }
  return chosen;
}

}  // namespace autoswarm::bench
