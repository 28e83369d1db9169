#include "autoswarm/client_api/client_api.h"

namespace autoswarm::client_api {

std::string_view protocol_name(Protocol protocol) {
  switch (protocol) {
    case Protocol::kChat: return "chat";
    case Protocol::kResponses: return "responses";
    case Protocol::kMessages: return "messages";
    case Protocol::kOllamaChat: return "ollama-chat";
    case Protocol::kOllamaGenerate: return "ollama-generate";
  }
  return "chat";
}

std::string openai_error_body(const std::string& message, const std::string& type, const json& code) {
  return json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace autoswarm::client_api
