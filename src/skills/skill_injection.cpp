#include "autoswarm/skills/skill_injection.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <unordered_map>

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

}  // namespace

SkillIndex::SkillIndex(const SkillBook& book) {
  const size_t n = book.skills.size();
  lengths_.resize(n);
  line_chars_.resize(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    line_chars_[i] = skill_line_chars(book.skills[i]);
    std::vector<std::string> w = words(book.skills[i].text);
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
}

std::vector<double> SkillIndex::scores(std::string_view query) const {
  constexpr double k1 = 1.2, b = 0.75;
  const double n = static_cast<double>(lengths_.size());
  std::vector<std::string> terms = words(query);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  std::vector<double> out(lengths_.size(), 0.0);
  for (const auto& t : terms) {
    auto it = postings_.find(t);
    if (it == postings_.end()) continue;
    const double df = static_cast<double>(it->second.size());
    const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (const Posting& p : it->second) {
      const double freq = p.count;
      const double len = lengths_[p.skill];
      out[p.skill] += idf * freq * (k1 + 1) / (freq + k1 * (1 - b + b * len / average_length_));
    }
  }
  return out;
}

std::vector<size_t> choose_skills(const SkillBook& book, const SkillIndex& index, std::string_view query,
                                  size_t budget_tokens) {
  const size_t budget = budget_tokens * kCharsPerToken;
  const size_t framing = kBlockHead.size() + kBlockTail.size();
  if (book.skills.empty() || budget <= framing) return {};

  std::vector<size_t> all(book.skills.size());
  std::iota(all.begin(), all.end(), 0);
  size_t total = framing;
  for (size_t i : all) total += index.line_chars(i);
  if (total <= budget) return all;

  std::vector<double> scores = index.scores(query);
  std::stable_sort(all.begin(), all.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<size_t> chosen;
  size_t used = framing;
  for (size_t i : all) {
    if (used + index.line_chars(i) > budget) continue;  // a shorter one may still fit
    used += index.line_chars(i);
    chosen.push_back(i);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<size_t> choose_skills(const SkillBook& book, std::string_view query, size_t budget_tokens) {
  return choose_skills(book, SkillIndex(book), query, budget_tokens);
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

std::string latest_user_text(const nlohmann::json& messages) {
  if (!messages.is_array()) return "";
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->is_object() && it->value("role", "") == "user" && it->contains("content")) {
      return llm::content_text((*it)["content"]);
    }
  }
  return "";
}

}  // namespace autoswarm::skills
