// Putting skills into a request: choosing which fit the token budget (by BM25 relevance to the
// latest user message when not all fit) and adding them to the system prompt as one block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/skills/skill_book.h"

namespace autoswarm::skills {

// Characters per token used for budgets: a rough, model-independent estimate.
inline constexpr size_t kCharsPerToken = 4;

// The term statistics of one skillbook, computed once per loaded book so that choosing skills
// for a request only looks up the query's words (BM25 over an inverted index).
class SkillIndex {
 public:
  explicit SkillIndex(const SkillBook& book);
  // The Okapi BM25 score of every skill against `query`, in book order.
  std::vector<double> scores(std::string_view query) const;
  // Characters the skill takes in the injected block.
  size_t line_chars(size_t skill) const { return line_chars_[skill]; }
  size_t size() const { return line_chars_.size(); }

 private:
  struct Posting {
    uint32_t skill;
    uint32_t count;
  };
  std::unordered_map<std::string, std::vector<Posting>> postings_;
  std::vector<uint32_t> lengths_;  // words per skill
  std::vector<size_t> line_chars_;
  double average_length_ = 1.0;
};

// A skillbook together with its index: what the proxy keeps per version of skills.yaml.
struct IndexedSkillBook {
  explicit IndexedSkillBook(SkillBook b) : book(std::move(b)), index(book) {}
  SkillBook book;
  SkillIndex index;
};

// Indices into book.skills of the skills to inject, in book order. When every skill fits within
// `budget_tokens` (block framing included) all are chosen; otherwise the most relevant to `query`
// are added, best first, while they fit. `index` must have been built from `book`.
std::vector<size_t> choose_skills(const SkillBook& book, const SkillIndex& index, std::string_view query,
                                  size_t budget_tokens);
// The same, building the index on the spot (for one-off choices).
std::vector<size_t> choose_skills(const SkillBook& book, std::string_view query, size_t budget_tokens);

// The delimited block that carries the chosen skills into the system prompt.
std::string render_skill_block(const SkillBook& book, const std::vector<size_t>& chosen);

// Appends `block` to the first system or developer message, or inserts a system message first.
void inject_system_block(nlohmann::json& messages, const std::string& block);

// The text of the last user message (text parts joined), "" when there is none.
std::string latest_user_text(const nlohmann::json& messages);

}  // namespace autoswarm::skills
