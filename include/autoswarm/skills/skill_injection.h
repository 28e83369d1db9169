// Putting skills into a request: choosing the few that are relevant to the conversation (BM25
// over stemmed words, against everything the user wrote in it) and adding them to the system
// prompt as one block. A skill that shares nothing with the conversation is never injected just
// because there is room: self-written skills help when they are few and on topic, and an
// unrelated one is noise in every prompt (and a cost on every token).
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

// The relevance a skill needs by default (see SkillIndex::relevance), chosen on the labelled
// questions of tests/skills/skill_relevance_test.cpp: the highest floor at which every question
// still gets the skill written for it; there no off-topic question gets any skill, and 4 of the
// 21 skills chosen are lexical near misses (a bash question about "file names" gets the skill
// about opening files). Words alone cannot tell those apart.
inline constexpr double kDefaultMinScore = 0.25;

// How many skills a request gets (autoswarm start's --skills-budget, --skills-max and
// --skills-min-score).
struct InjectionLimits {
  size_t budget_tokens = 800;  // the whole block, framing included
  size_t max_skills = 5;       // relevant skills; `always` skills come on top
  // The relevance each skill needs, in [0, 1]. 0: no floor, every skill is a candidate, most
  // relevant first (reflect shows the model its existing skills this way).
  double min_score = kDefaultMinScore;
};

// The words a skill or a question is compared by: lower-cased, common English function words
// dropped, and each cut to a stem so that "Makefiles", "makefile" and "Makefile" are one term.
std::vector<std::string> index_terms(std::string_view text);

// The term statistics of one skillbook, computed once per loaded book so that choosing skills
// for a request only looks up the query's words (BM25 over an inverted index).
class SkillIndex {
 public:
  explicit SkillIndex(const SkillBook& book);
  // The Okapi BM25 score of every skill against `query`, in book order.
  std::vector<double> scores(std::string_view query) const;
  // How relevant every skill is to `query`, in book order: its BM25 score over what the skill's
  // kKeyTerms most distinctive terms score, capped at 1. So 0 when they share no term, about
  // 1/kKeyTerms for one key term of the skill ("Makefile" for a Makefile skill), 1 for all of
  // them; a long skill is not penalised for its other words, and the scale is the same for a book
  // of 3 skills and of 300.
  std::vector<double> relevance(std::string_view query) const;
  static constexpr size_t kKeyTerms = 3;
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
  std::vector<double> key_scores_;  // what each skill's kKeyTerms best terms score
  double term_score(const Posting& p, size_t skills_with_term) const;
  std::vector<size_t> line_chars_;
  double average_length_ = 1.0;
};

// A skillbook together with its index: what the proxy keeps per version of skills.yaml.
struct IndexedSkillBook {
  explicit IndexedSkillBook(SkillBook b) : book(std::move(b)), index(book) {}
  SkillBook book;
  SkillIndex index;
};

// Indices into book.skills of the skills to inject, in book order (so the block is rendered the
// same way every time for the same choice): the `always` skills, then up to `max_skills` whose
// relevance to `query` reaches `min_score`, best first, each while it fits the budget.
// `index` must have been built from `book`.
std::vector<size_t> choose_skills(const SkillBook& book, const SkillIndex& index, std::string_view query,
                                  const InjectionLimits& limits);
// The same, building the index on the spot (for one-off choices).
std::vector<size_t> choose_skills(const SkillBook& book, std::string_view query, const InjectionLimits& limits);

// The delimited block that carries the chosen skills into the system prompt.
std::string render_skill_block(const SkillBook& book, const std::vector<size_t>& chosen);

// Appends `block` to the first system or developer message, or inserts a system message first.
void inject_system_block(nlohmann::json& messages, const std::string& block);

// Everything the user wrote in the conversation, message after message (text parts joined): what
// skills are chosen by, so a follow-up ("and for a Makefile?") keeps the conversation's topic.
std::string conversation_user_text(const nlohmann::json& messages);

}  // namespace autoswarm::skills
