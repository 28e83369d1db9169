#include "autoswarm/llm/message_content.h"

namespace autoswarm::llm {

std::string content_text(const nlohmann::json& content, OtherParts other) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& part : content) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) continue;
    std::string piece;
    if (part["type"] == "text") {
      if (part.contains("text") && part["text"].is_string()) piece = part["text"].get<std::string>();
    } else if (other == OtherParts::kNamed) {
      piece = "[" + part["type"].get<std::string>() + "]";
    }
    if (piece.empty()) continue;
    if (!out.empty()) out += "\n";
    out += piece;
  }
  return out;
}

}  // namespace autoswarm::llm
