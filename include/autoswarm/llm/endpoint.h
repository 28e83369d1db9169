// One LLM to talk to: where the server is, what kind of server it is, the API key and the
// model. `upstream::choose_upstream` picks one; the proxy, reflect and the bench take it.
#pragma once

#include <string>

#include "autoswarm/llm/base_url.h"

namespace autoswarm::llm {

// The servers AutoSwarm tells apart: the three local ones it detects and probes with their own
// endpoints, and any other OpenAI-compatible API (--upstream).
enum class ServerKind { kLmStudio, kOllama, kVllm, kCustom };

// "LM Studio", "Ollama", "vLLM", "custom upstream".
const char* display_name(ServerKind kind);

struct Endpoint {
  ServerKind kind = ServerKind::kCustom;
  BaseUrl url;
  std::string key;    // sent as "Authorization: Bearer"; never logged
  std::string model;  // the model requests name when the caller names none
};

}  // namespace autoswarm::llm
