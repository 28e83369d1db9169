// The flags that choose an upstream, shared by the subcommands that talk to an LLM (start,
// reflect, bench run, bench eval): --upstream, --model, --api-key or --api-key-file (else
// OPENAI_API_KEY); and read_key_file, the one reader of a key kept in a file. doctor has
// the same flags with its own help text, since it only reports what they choose.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/text.h"

namespace autoswarm::cli {

// A key from a file (`flag` names the option for errors): its first line, without surrounding
// whitespace. A file is how a key stays out of `ps` and shell history.
inline std::string read_key_file(const std::string& path, std::string_view flag) {
  std::string text;
  try {
    text = util::read_file(path);
  } catch (const Error& e) {
    throw UsageError(std::string(flag) + ": " + e.what());
  }
  std::string key(util::trim(std::string_view(text).substr(0, text.find('\n'))));
  if (key.empty()) throw UsageError(std::string(flag) + ": " + path + " is empty; put the key on its first line");
  return key;
}

struct UpstreamFlags {
  std::optional<std::string> upstream;
  std::optional<std::string> model;
  std::optional<std::string> api_key;
  std::optional<std::string> api_key_file;

  void add_to(CLI::App& app) {
    app.add_option("--upstream", upstream,
                   "OpenAI-compatible base URL to use instead of auto-detecting LM Studio, "
                   "Ollama and vLLM (with or without /v1)");
    app.add_option("--model", model, "Model to use (default: the first loaded model)");
    auto* key = app.add_option("--api-key", api_key, "API key for a hosted upstream (default: $OPENAI_API_KEY)");
    app.add_option("--api-key-file", api_key_file, "Read the upstream's API key from this file's first line")
        ->excludes(key);
  }

  // The detection options, with the environment's server URLs and API key; --api-key wins.
  upstream::UpstreamOptions options() const {
    upstream::UpstreamOptions o = upstream::UpstreamOptions::from_environment();
    o.upstream_url = upstream;
    o.model = model;
    if (api_key) o.api_key = *api_key;
    else if (api_key_file) o.api_key = read_key_file(*api_key_file, "--api-key-file");
    return o;
  }
};

// The error for "no usable upstream": what was checked, each server's fixes, then `next_step`.
// `purpose` completes "no usable LLM server found" (" to reflect with").
// "Ollama at http://127.0.0.1:11434/v1: connection refused": what one probe found.
inline std::string finding_line(const upstream::ServerStatus& s) {
  return std::string(llm::display_name(s.kind)) + " at " + s.url.str() + ": " +
         (s.error.empty() ? "no model available" : s.error);
}

inline void print_no_upstream(const std::vector<upstream::ServerStatus>& findings,
                              std::string_view purpose, std::string_view next_step) {
  std::cerr << "error: no usable LLM server found" << purpose << ". What was checked:\n";
  for (const auto& s : findings) {
    std::cerr << "  " << finding_line(s) << "\n";
    for (const auto& fix : s.fixes) std::cerr << "      fix: " << fix << "\n";
  }
  std::cerr << next_step << "\n";
}

}  // namespace autoswarm::cli
