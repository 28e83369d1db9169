// The flags that choose an upstream, shared by every subcommand that talks to an LLM
// (doctor, start, reflect): --upstream, --model, --api-key (else OPENAI_API_KEY).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <optional>
#include <string>

#include "autoswarm/upstream/local_servers.h"

namespace autoswarm::cli {

struct UpstreamFlags {
  std::optional<std::string> upstream;
  std::optional<std::string> model;
  std::optional<std::string> api_key;

  void add_to(CLI::App& app) {
    app.add_option("--upstream", upstream,
                   "OpenAI-compatible base URL to use instead of auto-detecting LM Studio, "
                   "Ollama and vLLM (with or without /v1)");
    app.add_option("--model", model, "Model to use (default: the first loaded model)");
    app.add_option("--api-key", api_key, "API key for a hosted upstream (default: $OPENAI_API_KEY)");
  }

  // The detection options, with the environment's server URLs and API key.
  upstream::UpstreamOptions options() const {
    upstream::UpstreamOptions o = upstream::UpstreamOptions::from_environment();
    o.upstream_url = upstream;
    o.model = model;
    if (api_key) o.api_key = *api_key;
    else if (const char* env = std::getenv("OPENAI_API_KEY")) o.api_key = env;
    return o;
  }
};

}  // namespace autoswarm::cli
