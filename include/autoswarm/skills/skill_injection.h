// Putting skills into a request: choosing which fit the token budget (by BM25 relevance to the
// latest user message when not all fit) and adding them to the system prompt as one block.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/skills/skill_book.h"

namespace autoswarm::skills {

// Characters per token used for budgets: a rough, model-independent estimate.
inline constexpr size_t kCharsPerToken = 4;

// Indices into book.skills of the skills to inject, in book order. When every skill fits within
// `budget_tokens` (block framing included) all are chosen; otherwise the most relevant to `query`
// are added, best first, while they fit.
std::vector<size_t> choose_skills(const SkillBook& book, std::string_view query, size_t budget_tokens);

// The delimited block that carries the chosen skills into the system prompt.
std::string render_skill_block(const SkillBook& book, const std::vector<size_t>& chosen);

// Appends `block` to the first system message, or inserts a system message first.
void inject_system_block(nlohmann::json& messages, const std::string& block);

// The text of the last user message (text parts joined), "" when there is none.
std::string latest_user_text(const nlohmann::json& messages);

}  // namespace autoswarm::skills
