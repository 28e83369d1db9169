// The flags that choose an upstream, shared by the subcommands that talk to an LLM (start,
// reflect, bench run, bench eval): --upstream, --model, --api-key (else OPENAI_API_KEY).
// doctor has the same three with its own help text, since it only reports what they choose.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

  // The detection options, with the environment's server URLs and API key; --api-key wins.
  upstream::UpstreamOptions options() const {
    upstream::UpstreamOptions o = upstream::UpstreamOptions::from_environment();
    o.upstream_url = upstream;
    o.model = model;
    if (api_key) o.api_key = *api_key;
    return o;
  }
};

// The error for "no usable upstream": what was checked, each server's fixes, then `next_step`.
// `purpose` completes "no usable LLM server found" (" to reflect with").
inline void print_no_upstream(const std::vector<upstream::ServerStatus>& findings,
                              std::string_view purpose, std::string_view next_step) {
  std::cerr << "error: no usable LLM server found" << purpose << ". What was checked:\n";
  for (const auto& s : findings) {
    std::cerr << "  " << llm::display_name(s.kind) << " at " << s.url.str() << ": "
              << (s.error.empty() ? "no model available" : s.error) << "\n";
    for (const auto& fix : s.fixes) std::cerr << "      fix: " << fix << "\n";
  }
  std::cerr << next_step << "\n";
}

}  // namespace autoswarm::cli
