// Finding an LLM to talk to: probing LM Studio (:1234), Ollama (:11434) and vLLM (:8000) with
// each server's own endpoints, telling "running" from "running with a model", suggesting
// copy-paste fixes, and choosing the endpoint (llm::Endpoint) that start, reflect and bench use.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autoswarm/llm/base_url.h"
#include "autoswarm/llm/endpoint.h"

namespace autoswarm::upstream {

// What one probe found.
struct ServerStatus {
  llm::ServerKind kind = llm::ServerKind::kCustom;
  llm::BaseUrl url;
  bool reachable = false;
  std::string version;               // where the server reports one
  std::string error;                 // why it is unreachable / unusable, for the user
  std::vector<std::string> models;   // available (downloaded / installed / served)
  std::vector<std::string> loaded;   // loaded in memory now
  std::vector<std::string> fixes;    // copy-paste commands that would fix what is wrong
  std::vector<std::string> hints;    // advice that is not a command ("if lms is missing: ...")
  // False when the server cannot say what is loaded (LM Studio answering only /v1/models):
  // its listed models then count as usable, since LM Studio loads one on request by default.
  bool loaded_known = true;
  // --model, set by choose_upstream on a custom upstream: usable with it even when the
  // upstream lists no models.
  std::string requested_model;
  // A detected server is probed without a key: a key goes only where the user named it
  // (--upstream) or to a server that answered the key-less probe with 401/403 (wants_key),
  // which is then probed again with it (key_sent).
  bool wants_key = false;
  bool key_sent = false;

  // A model can be used right away. Ollama loads on demand, so an installed model counts;
  // LM Studio needs a loaded one (or the /v1 fallback above); vLLM serves what it lists.
  bool usable() const;
  // The model `start` would pick on this server: the first loaded, else the first available,
  // else requested_model; "" when none.
  std::string default_model() const;
};

struct UpstreamOptions {
  std::optional<std::string> upstream_url;  // --upstream: skips detection
  std::optional<std::string> model;         // --model
  std::string api_key;                      // --api-key or OPENAI_API_KEY; never logged
  std::chrono::milliseconds probe_timeout{1000};  // connect and read timeout of each probe
  // Where the local servers are looked for, in order of preference. Defaults: 127.0.0.1 on
  // 1234, 11434, 8000; overridden by AUTOSWARM_LMSTUDIO_URL, AUTOSWARM_OLLAMA_URL (else a
  // loopback OLLAMA_HOST, see parse_ollama_host) and AUTOSWARM_VLLM_URL.
  std::vector<std::pair<llm::ServerKind, llm::BaseUrl>> local_servers;

  // Fills local_servers from the defaults and the environment, and api_key from
  // OPENAI_API_KEY. Throws UsageError naming the variable when an AUTOSWARM_*_URL is malformed.
  static UpstreamOptions from_environment();
};

// Probes one server with its own endpoints (see upstreams reference): LM Studio /api/v1/models,
// then /api/v0/models, then /v1/models; Ollama /api/version, /api/ps, /api/tags; vLLM /health,
// /v1/models; a custom upstream /v1/models. Never throws: failures land in `error`/`fixes`.
ServerStatus probe_server(llm::ServerKind kind, const llm::BaseUrl& url, const std::string& api_key,
                          std::chrono::milliseconds timeout);

// Probes every local server concurrently (each with options.probe_timeout), in the order of
// options.local_servers. Without a key: any local process can bind those ports, so
// options.api_key is sent only to one that asked for a key (see ServerStatus::wants_key).
std::vector<ServerStatus> probe_local_servers(const UpstreamOptions& options);

// Chooses as `start` does: --upstream (probed as custom) if given, else the first of LM Studio,
// Ollama, vLLM that is usable — preferring, when --model is given, the first usable one that
// lists that model; --model overrides the model. `findings` receives every probe.
// Returns nothing when no usable upstream exists. Throws UsageError for a malformed --upstream.
std::optional<llm::Endpoint> choose_upstream(const UpstreamOptions& options,
                                         std::vector<ServerStatus>* findings = nullptr);

// Where OLLAMA_HOST points, as Ollama's own CLI reads it: "host:port", ":port", "host", or a
// URL; 0.0.0.0 and :: (listen-everywhere addresses) mean 127.0.0.1. Nothing when the value is
// malformed or names a host that is not loopback (only AUTOSWARM_OLLAMA_URL may point elsewhere).
std::optional<llm::BaseUrl> parse_ollama_host(std::string_view value);

}  // namespace autoswarm::upstream
