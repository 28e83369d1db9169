#include "autoswarm/llm/endpoint.h"

namespace autoswarm::llm {

const char* display_name(ServerKind kind) {
  switch (kind) {
    case ServerKind::kLmStudio: return "LM Studio";
    case ServerKind::kOllama: return "Ollama";
    case ServerKind::kVllm: return "vLLM";
    case ServerKind::kCustom: return "custom upstream";
  }
  return "upstream";
}

}  // namespace autoswarm::llm
