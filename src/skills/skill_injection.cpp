#include "autoswarm/skills/skill_injection.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_map>
#include <unordered_set>
#include <functional>
#include <numeric>

#include "autoswarm/llm/message_content.h"
#include "autoswarm/util/json.h"

namespace autoswarm::skills {
namespace {

constexpr std::string_view kBlockHead =
    "<autoswarm-skills>\nLessons learned from earlier conversations. Apply them when relevant:\n";
constexpr std::string_view kBlockTail = "</autoswarm-skills>";

size_t skill_line_chars(const Skill& s) { return s.text.size() + 3; }  // "- " + text + "\n"

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80)) {
      cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// English function words, the words of how people ask ("how do I …", "please", "explain") and
// the verbs every instruction uses ("write", "show", "give"): they say nothing about what a
// question or a skill is about, and a match on one of them alone is how unrelated skills got in.
bool is_stop_word(std::string_view w) {
  static const std::unordered_set<std::string_view> kStopWords = {
      "a", "about", "add", "after", "again", "all", "also", "always", "am", "an", "and", "answer", "any", "are",
      "as", "ask", "at", "be", "been", "before", "being", "best", "better", "but", "by", "can", "could", "did",
      "do", "does", "doing", "don", "each", "every", "explain", "find", "first", "for", "from", "get", "give",
      "go", "good", "had", "has", "have", "having", "he", "help", "her", "here", "him", "his", "how", "i", "if",
      "in", "into", "is", "it", "its", "just", "keep", "know", "let", "like", "look", "make", "me", "mean",
      "more", "most", "much", "my", "need", "never", "new", "no", "not", "now", "of", "on", "one", "only", "or",
      "other", "our", "out", "over", "please", "s", "same", "say", "says", "see", "she", "should", "show", "so",
      "some", "something", "such", "suggest", "sure", "t", "take", "tell", "than", "thank", "thanks", "that",
      "the", "their", "them", "then", "there", "these", "they", "thing", "think", "this", "those", "to", "too",
      "try", "up", "us", "use", "using", "very", "want", "was", "way", "we", "well", "were", "what", "when",
      "where", "which", "while", "who", "why", "will", "with", "work", "works", "would", "write", "you",
      "your"};
  return kStopWords.count(w) > 0;
}

bool ends_with(const std::string& w, std::string_view suffix) {
  return w.size() >= suffix.size() && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A light suffix stripper in the spirit of Porter's first steps (plurals, -ing, -ed, -ly, a final
// e): not linguistics, only the same stem for the forms a question and a skill use of one word.
std::string stem(std::string w) {
  if (w.size() <= 3 || (static_cast<unsigned char>(w.back()) & 0x80)) return w;
  if (ends_with(w, "ies") && w.size() > 4) {
    w.replace(w.size() - 3, 3, "y");
  } else if (ends_with(w, "sses") || ends_with(w, "xes") || ends_with(w, "ches") || ends_with(w, "shes")) {
    w.resize(w.size() - 2);
  } else if (ends_with(w, "s") && !ends_with(w, "ss") && !ends_with(w, "us") && !ends_with(w, "is")) {
    w.pop_back();
  }
  bool cut = false;
  if (ends_with(w, "ing") && w.size() > 5) {
    w.resize(w.size() - 3);
    cut = true;
  } else if (ends_with(w, "ed") && w.size() > 4) {
    w.resize(w.size() - 2);
    cut = true;
  } else if (ends_with(w, "ly") && w.size() > 4) {
    w.resize(w.size() - 2);
  }
  // "running" -> "runn" -> "run"; "installed" keeps its "ll".
  if (cut && w.size() > 3 && w[w.size() - 1] == w[w.size() - 2] && std::string_view("lsz").find(w.back()) == std::string_view::npos) {
    w.pop_back();
  }
  if (ends_with(w, "e") && w.size() > 4) w.pop_back();
  return w;
}

}  // namespace

std::vector<std::string> index_terms(std::string_view text) {
  std::vector<std::string> out;
  for (std::string& w : words(text)) {
    if (!is_stop_word(w)) out.push_back(stem(std::move(w)));
  }
  return out;
}

SkillIndex::SkillIndex(const SkillBook& book) {
  const size_t n = book.skills.size();
  lengths_.resize(n);
  line_chars_.resize(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    line_chars_[i] = skill_line_chars(book.skills[i]);
    std::vector<std::string> w = index_terms(book.skills[i].text);
    lengths_[i] = static_cast<uint32_t>(w.size());
    total += static_cast<double>(w.size());
    std::sort(w.begin(), w.end());
    for (size_t j = 0; j < w.size();) {
      size_t k = j;
      while (k < w.size() && w[k] == w[j]) ++k;
      postings_[w[j]].push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(k - j)});
      j = k;
    }
  }
  average_length_ = n > 0 ? std::max(1.0, total / static_cast<double>(n)) : 1.0;
  std::vector<std::vector<double>> contributions(n);
  for (const auto& [term, postings] : postings_) {
    for (const Posting& p : postings) contributions[p.skill].push_back(term_score(p, postings.size()));
  }
  key_scores_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<double>& c = contributions[i];
    const size_t k = std::min(c.size(), kKeyTerms);
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(), std::greater<>());
    key_scores_[i] = std::accumulate(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), 0.0);
  }
}

double SkillIndex::term_score(const Posting& p, size_t skills_with_term) const {
  constexpr double k1 = 1.2, b = 0.75;
  const double n = static_cast<double>(lengths_.size());
  const double df = static_cast<double>(skills_with_term);
  const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
  const double freq = p.count;
  const double len = lengths_[p.skill];
  return idf * freq * (k1 + 1) / (freq + k1 * (1 - b + b * len / average_length_));
}

std::vector<double> SkillIndex::scores(std::string_view query) const {
  std::vector<std::string> terms = index_terms(query);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  std::vector<double> out(lengths_.size(), 0.0);
  for (const auto& t : terms) {
    auto it = postings_.find(t);
    if (it == postings_.end()) continue;
    for (const Posting& p : it->second) out[p.skill] += term_score(p, it->second.size());
  }
  return out;
}

std::vector<double> SkillIndex::relevance(std::string_view query) const {
  std::vector<double> out = scores(query);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = key_scores_[i] > 0 ? std::min(1.0, out[i] / key_scores_[i]) : 0.0;
  }
  return out;
}

std::vector<size_t> choose_skills(const SkillBook& book, const SkillIndex& index, std::string_view query,
                                  const InjectionLimits& limits) {
  const size_t budget = limits.budget_tokens * kCharsPerToken;
  const size_t framing = kBlockHead.size() + kBlockTail.size();
  if (book.skills.empty() || budget <= framing) return {};

  const std::vector<double> relevance = index.relevance(query);
  std::vector<size_t> candidates;
  for (size_t i = 0; i < book.skills.size(); ++i) {
    const bool relevant = limits.min_score <= 0 || (relevance[i] > 0 && relevance[i] >= limits.min_score);
    if (!book.skills[i].always && relevant) candidates.push_back(i);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](size_t a, size_t b) { return relevance[a] > relevance[b]; });

  std::vector<size_t> chosen;
  size_t used = framing;
  auto add_if_fits = [&](size_t i) {
    if (used + index.line_chars(i) > budget) return false;  // a shorter one may still fit
    used += index.line_chars(i);
    chosen.push_back(i);
    return true;
  };
  for (size_t i = 0; i < book.skills.size(); ++i) {
    if (book.skills[i].always) add_if_fits(i);
  }
  size_t relevant_chosen = 0;
  for (size_t i : candidates) {
    if (relevant_chosen >= limits.max_skills) break;
    if (add_if_fits(i)) ++relevant_chosen;
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<size_t> choose_skills(const SkillBook& book, std::string_view query, const InjectionLimits& limits) {
  return choose_skills(book, SkillIndex(book), query, limits);
}

std::string render_skill_block(const SkillBook& book, const std::vector<size_t>& chosen) {
  if (chosen.empty()) return "";
  std::string block(kBlockHead);
  for (size_t i : chosen) {
    block += "- ";
    block += book.skills[i].text;
    block += "\n";
  }
  block += kBlockTail;
  return block;
}

void inject_system_block(nlohmann::json& messages, const std::string& block) {
  if (block.empty() || !messages.is_array()) return;
  for (auto& m : messages) {
    // "developer" is what newer OpenAI clients call the system message: one instruction
    // message, never a second one in front of it.
    if (!m.is_object()) continue;
    const std::string role = util::string_field(m, "role");
    if (role != "system" && role != "developer") continue;
    auto& content = m["content"];
    if (content.is_string()) {
      std::string text = content.get<std::string>();
      content = text.empty() ? block : text + "\n\n" + block;
    } else if (content.is_array()) {
      content.push_back({{"type", "text"}, {"text", block}});
    } else {
      content = block;
    }
    return;
  }
  // An explicit json: insert() with a braced list would insert its two pairs as two elements.
  messages.insert(messages.begin(), nlohmann::json{{"role", "system"}, {"content", block}});
}

}  // namespace autoswarm::skills

namespace autoswarm::skills {

std::string conversation_user_text(const nlohmann::json& messages) {
  std::string out;
  if (!messages.is_array()) return out;
  for (const auto& m : messages) {
    if (!m.is_object() || util::string_field(m, "role") != "user" || !m.contains("content")) continue;
    if (!out.empty()) out += "\n";
    out += llm::content_text(m["content"]);
  }
  return out;
}

}  // namespace autoswarm::skills
