// The prune judge: one LLM call per reflect run that sees the skillbook and a sample of recent
// conversations (with the skills injected into each) and names the skills that are wrong,
// contradictory or too vague, with a reason each.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/skills/skill_book.h"

namespace autoswarm::reflect {

struct PruneOptions {
  size_t skills_chars = 8000;        // the skillbook shown: newest skills first, up to this size
  size_t conversations_chars = 6000; // all sample conversations together
};

struct PruneRequest {
  llm::ChatRequest request;          // model left empty for the caller
  std::vector<std::string> shown;    // ids of the skills the judge sees (the only ones it may remove)
};

// The request over `book` and `recent` conversations (most recent last).
PruneRequest prune_request(const skills::SkillBook& book, const std::vector<conversations::Conversation>& recent,
                           const PruneOptions& options = {});

struct PruneVerdict {
  std::string id;
  std::string reason;
};

struct PruneAnswer {
  bool parsed = false;
  std::string error;                 // why the answer could not be read
  std::vector<PruneVerdict> remove;  // shown ids only, each once, in the judge's order
  std::vector<std::string> ignored;  // ids named that were not shown (logged, never removed)
};

PruneAnswer parse_prune_answer(std::string_view reply, const std::vector<std::string>& shown);

}  // namespace autoswarm::reflect
