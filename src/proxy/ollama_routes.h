// Internal to the proxy: Ollama's native routes (/api/chat, /api/generate, /api/tags, /api/ps,
// /api/version, /api/show, /api/embed, /api/embeddings and its "Ollama is running" at /).
#pragma once

#include <memory>

#include "proxy_state.h"

namespace autoswarm::proxy {

void add_ollama_routes(GatedServer& server, const std::weak_ptr<ProxyState>& state);

}  // namespace autoswarm::proxy
