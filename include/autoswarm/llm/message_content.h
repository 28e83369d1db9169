// The text of a chat message's "content", which OpenAI-compatible clients send either as a
// string or as a list of parts ({"type":"text","text":...}, {"type":"image_url",...}, ...).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace autoswarm::llm {

// What becomes of the parts that are not text.
enum class OtherParts {
  kSkip,   // left out (what to match skills against)
  kNamed,  // one "[<type>]" line each, e.g. "[image_url]" (a transcript a model reads)
};

// A string as it is; the pieces of a list joined by "\n"; "" for anything else.
std::string content_text(const nlohmann::json& content, OtherParts other = OtherParts::kSkip);

}  // namespace autoswarm::llm
