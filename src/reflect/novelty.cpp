#include "autoswarm/reflect/novelty.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace autoswarm::reflect {
namespace {

constexpr size_t kMinLessonWords = 4;

// Words that say nothing specific on their own: a lesson made only of these ("Always be helpful
// and answer the user's question clearly") teaches nothing an assistant does not already try.
const std::unordered_set<std::string_view> kGenericWords = {
    "a", "an", "the", "and", "or", "to", "of", "in", "on", "for", "with", "be", "is", "are", "it",
    "its", "that", "this", "your", "you", "their", "s", "as", "at", "by", "always", "never", "should",
    "must", "try", "make", "sure", "when", "do", "not", "dont", "don", "t", "all", "any", "every",
    "user", "users", "user's", "question", "questions", "request", "requests", "answer", "answers",
    "respond", "response", "responses", "reply", "replies", "help", "helpful", "helpfully", "clear",
    "clearly", "concise", "concisely", "accurate", "accurately", "correct", "correctly", "polite",
    "politely", "friendly", "precise", "precisely", "good", "best", "high", "quality", "useful",
    "relevant", "information", "info", "provide", "give", "careful", "carefully", "thorough",
    "thoroughly", "detailed", "details", "honest", "honestly", "assistant", "instructions", "follow",
    "understand", "needs", "possible", "information", "consider", "context", "appropriate",
    "appropriately", "well", "explain", "explanations", "step", "steps", "think", "check", "double",
    "work", "clarifying", "ask", "if", "needed", "necessary", "unclear", "ambiguous"};

std::vector<std::string_view> words_of(std::string_view normalised) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < normalised.size()) {
    size_t end = normalised.find(' ', pos);
    if (end == std::string_view::npos) end = normalised.size();
    if (end > pos) out.push_back(normalised.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The distinct character trigrams of " text ", each packed into an integer, sorted.
std::vector<uint32_t> trigrams(std::string_view normalised) {
  std::vector<uint32_t> out;
  const std::string padded = " " + std::string(normalised) + " ";
  out.reserve(padded.size());
  for (size_t i = 0; i + 3 <= padded.size(); ++i) {
    out.push_back(static_cast<uint32_t>(static_cast<unsigned char>(padded[i])) << 16 |
                  static_cast<uint32_t>(static_cast<unsigned char>(padded[i + 1])) << 8 |
                  static_cast<uint32_t>(static_cast<unsigned char>(padded[i + 2])));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double dice(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.empty() && b.empty()) return 1.0;
  size_t shared = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] < b[j]) ++i;
    else if (b[j] < a[i]) ++j;
    else ++shared, ++i, ++j;
  }
  return 2.0 * static_cast<double>(shared) / static_cast<double>(a.size() + b.size());
}

}  // namespace

std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      space = true;
    }
  }
  return out;
}

double similarity(std::string_view a, std::string_view b) {
  if (a == b) return 1.0;
  return dice(trigrams(a), trigrams(b));
}

NoveltyVerdict check_novelty(const skills::SkillBook& book, std::string_view lesson, double threshold) {
  NoveltyVerdict v;
  const std::string norm = normalise(lesson);
  const auto words = words_of(norm);
  if (norm.empty()) {
    v.reason = "the lesson is empty";
    return v;
  }
  if (lesson.size() > kMaxLessonChars) {
    v.reason = "the lesson is longer than " + std::to_string(kMaxLessonChars) + " characters";
    return v;
  }
  if (words.size() < kMinLessonWords) {
    v.reason = "the lesson is too short to be concrete";
    return v;
  }
  if (std::all_of(words.begin(), words.end(), [](std::string_view w) { return kGenericWords.contains(w); })) {
    v.reason = "the lesson is generic advice";
    return v;
  }
  const auto mine = trigrams(norm);
  for (const skills::Skill& s : book.skills) {
    const std::string other = normalise(s.text);
    const double score = other == norm ? 1.0 : dice(mine, trigrams(other));
    if (score > v.score) {
      v.score = score;
      v.similar_id = s.id;
    }
  }
  if (v.score >= threshold) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s of %s (similarity %.2f)", v.score >= 0.999 ? "duplicate" : "near duplicate",
                  v.similar_id.c_str(), v.score);
    v.reason = buf;
    return v;
  }
  v.similar_id.clear();
  v.novel = true;
  return v;
}

}  // namespace autoswarm::reflect
