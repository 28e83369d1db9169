// A scriptable fake upstream LLM server for tests, perf scripts and manual use.
//
// FakeUpstream serves an OpenAI-compatible HTTP API on loopback, shaped like one of four real
// servers (OpenAI, LM Studio, Ollama, vLLM): the same listing endpoints, the same JSON shapes,
// the same error bodies. Chat replies come from a YAML script (rules matched against the
// request; see docs/fake_llm.md for the format), or else echo the last user message.
// Every request is recorded so tests can assert what the upstream saw.
//
//   autoswarm::testing::FakeUpstream fake({.flavor = Flavor::kOllama});
//   fake.set_script(R"(
//   rules:
//     - match: {content: "list files"}
//       reply:
//         tool_calls: [{name: run_shell, arguments: {command: "ls"}}]
//   )");
//   // ... point the code under test at fake.url() + "/v1" ...
//   REQUIRE(fake.requests().size() == 1);
//
// Endpoints (all flavors): POST /v1/chat/completions (stream and non-stream),
// POST /v1/embeddings, POST /v1/completions, GET /v1/models; anything else is a 404.
// With native_apis: POST /v1/responses and POST /v1/messages (stream and non-stream), and for
// the ollama flavor also its own POST /api/chat and /api/generate (NDJSON streams).
// Per flavor additionally:
//   lmstudio  GET /api/v1/models, GET /api/v0/models
//   ollama    GET / ("Ollama is running"), GET /api/version, GET /api/tags, GET /api/ps
//   vllm      GET /health, GET /version
//
// Thread safety: every public member may be called from any thread while the server runs.
// The server only ever binds a loopback address.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/llm/client.h"

namespace autoswarm::testing {

// Which real server the fake imitates.
enum class Flavor { kOpenAI, kLmStudio, kOllama, kVllm };

// "openai" | "lmstudio" | "ollama" | "vllm" (exact, lower case); throws std::invalid_argument.
Flavor parse_flavor(const std::string& name);
// The inverse of parse_flavor.
std::string to_string(Flavor flavor);

// One model the fake knows. `loaded == false` means installed but not loaded: it shows up in
// the "all models" listings (LM Studio /v1/models and /api/*, Ollama /api/tags) but not in the
// "loaded" ones (LM Studio loaded_instances/state, Ollama /api/ps).
struct FakeModel {
  std::string id{};
  bool loaded = true;
};

// Every member has a default initializer, so designated initializers may name any subset
// without -Wmissing-field-initializers: FakeUpstream fake({.flavor = Flavor::kVllm});
struct FakeUpstreamOptions {
  Flavor flavor = Flavor::kOpenAI;
  std::vector<FakeModel> models = {{"fake-model", true}};
  std::string host = "127.0.0.1";  // must be a loopback address (see util::is_loopback_host)
  int port = 0;                    // 0: an ephemeral port
  // When set, every request is also appended to this file as one JSON line (same shape as
  // requests()); the file is created if missing and never truncated.
  std::filesystem::path record_file{};
  // When set, /v1/* requires "Authorization: Bearer <api_key>"; otherwise a 401 OpenAI error.
  std::string api_key{};
  // Fixed delay before every chat / completions / embeddings answer.
  int latency_ms = 0;
  // Also serve POST /v1/responses and POST /v1/messages natively, as vLLM, LM Studio and
  // recent Ollama do (off: they are 404s in the flavor's style, as on older servers), and with
  // the ollama flavor Ollama's /api/chat and /api/generate. They answer through the project's
  // client_api translations and the same script.
  bool native_apis = false;
};

class FakeUpstream {
 public:
  // Binds, starts serving on background threads (a pool of 128, enough for many concurrent
  // streaming clients) and returns once listening. Throws std::invalid_argument for a
  // non-loopback host and std::runtime_error if it cannot bind.
  explicit FakeUpstream(FakeUpstreamOptions options = {});
  // Stops and joins (see stop()).
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const;
  // "http://127.0.0.1:<port>" (the bound host; IPv6 in brackets). No "/v1" suffix.
  std::string url() const;
  // Options for an llm::Client of this fake: url() + "/v1", no retries (a scripted fault is seen
  // once), a 10 s read timeout.
  llm::ClientOptions client_options() const;

  // Replaces all rules and the default reply with those of a YAML script (docs/fake_llm.md).
  // An empty script restores the defaults (no rules, echo). On a bad script throws
  // std::runtime_error naming the offending key/rule, and keeps the previous script.
  void set_script(const std::string& yaml_text);
  // set_script with the contents of a file; std::runtime_error if it cannot be read.
  void load_script(const std::filesystem::path& yaml_file);

  // Replaces the model list at runtime.
  void set_models(std::vector<FakeModel> models);

  // Every request received so far, in arrival order. Each is
  //   {"method": "POST", "path": "/v1/chat/completions",
  //    "headers": {"Authorization": "Bearer k", ...},   // all headers, names as sent
  //    "body": <parsed JSON if the body parses, else the raw string ("" when empty)>}
  // A request is recorded before its response starts, so it is visible as soon as the
  // client has seen any byte of the answer.
  std::vector<nlohmann::json> requests() const;
  void clear_requests();

  // Stops accepting, cuts streams in flight, closes idle keep-alive connections at once (not
  // after httplib's 5 s keep-alive timeout) and joins all threads. Idempotent.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace autoswarm::testing
