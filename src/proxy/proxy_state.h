// Internal to the proxy: what every route handler shares, and the helpers they use to answer
// with OpenAI-style errors and write the access log.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/conversations/conversation_log.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/proxy/proxy_server.h"
#include "autoswarm/skills/skill_book_watcher.h"
#include "gated_server.h"
#include "request_gate.h"

namespace autoswarm::proxy {

using nlohmann::json;

// Whether the upstream serves a client protocol's own route (vLLM, LM Studio and Ollama serve
// POST /v1/responses and /v1/messages; Ollama its /api/chat and /api/generate): then the proxy
// passes requests of that protocol through as they are, which keeps every feature of the
// protocol, instead of translating them.
enum class NativeSupport { kUnknown, kServed, kNotServed };

// What the proxy has learnt about one native route; read and updated by every request of its
// protocol, from any thread.
class NativeRoute {
 public:
  // Whether a request should try the route: always, unless the upstream was found without it;
  // then one request in each `reprobe_interval` tries again, so an upgraded server is found.
  bool should_try(Clock::time_point now, std::chrono::milliseconds reprobe_interval);
  void remember_served() { support_ = NativeSupport::kServed; }
  void remember_not_served(Clock::time_point now);
  NativeSupport support() const { return support_; }

 private:
  std::atomic<NativeSupport> support_{NativeSupport::kUnknown};
  std::atomic<Clock::rep> asked_at_{0};  // when the route was last found missing or re-probed
};

// Shared by the routes and by the upstream threads of streams still running; held by
// shared_ptr so a stream finishing after stop() never touches freed state.
struct ProxyState {
  ProxyOptions options;
  std::unique_ptr<llm::Client> client;         // long reads, retries on connection errors
  std::unique_ptr<llm::Client> health_client;  // short timeouts, no retries
  std::unique_ptr<skills::SkillBookWatcher> skills;
  std::unique_ptr<conversations::ConversationLog> log;  // null with --no-log
  std::unique_ptr<RequestGate> gate;
  GatedServer server;

  std::mutex models_mu;
  std::set<std::string> served_models;          // what the upstream lists, for --model
  std::atomic<bool> shutting_down{false};

  NativeRoute native_responses;  // POST /v1/responses
  NativeRoute native_messages;   // POST /v1/messages
  NativeRoute native_ollama_chat;      // POST /api/chat (an Ollama upstream, or one not identified)
  NativeRoute native_ollama_generate;  // POST /api/generate

  std::mutex streams_mu;
  std::condition_variable streams_cv;
  size_t active_streams = 0;
  bool stop_requested = false;  // stop() was called: the grace period runs (under streams_mu)

  bool serves(const std::string& model);
  // What --alias maps `name` to; `name` itself when it is no alias.
  const std::string& alias_target(const std::string& name) const;
  // The model a request naming `requested` goes to: an alias's target; --model for a request
  // naming none or, when --model was given, one the upstream does not serve; else `requested`.
  std::string model_for(const std::string& requested);
  void remember_models(const std::string& models_body);
  // The native route of `protocol`, null for protocols the proxy always translates.
  NativeRoute* native_route(client_api::Protocol protocol);
};

// Fields a handler leaves for the access-log line written after the response.
struct RequestNote {
  Clock::time_point started{};
  std::string model;
  llm::Usage usage;
};
RequestNote& request_note();  // the note of the request this server thread is handling

// {"error":{"message","type","param":null,"code"}} with `status`.
// An OpenAI error body; `code` is the status unless given ("model_not_found").
void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& type, const json& code = nullptr);
std::string error_json(const std::string& message, const std::string& type, const json& code);
// An upstream's non-2xx reply as the client gets it: the status, the upstream's message, type
// and code (ours where it gave none) and its Retry-After header.
void send_upstream_error(httplib::Response& res, const llm::HttpReply& reply);

// What the client gets for a call to the upstream that failed before any byte reached it.
struct UpstreamFailure {
  int status = 502;
  std::string type;
  std::string message;
};
UpstreamFailure describe_upstream_failure(const std::exception& e, const std::string& upstream);

// An error in `api`'s protocol (OpenAI's for chat completions and the proxy's own routes: api
// null), and an upstream's non-2xx reply as that protocol's client gets it.
void send_error_as(const client_api::ClientApi* api, httplib::Response& res, int status,
                   const std::string& message, const std::string& type);
void send_upstream_error_as(const client_api::ClientApi* api, httplib::Response& res, const llm::HttpReply& reply);
// A call to the upstream that failed before any byte reached the client (refused, timed out,
// an HTTP error thrown by llm::Client), answered in `api`'s protocol; returns what was sent,
// for the log record.
UpstreamFailure send_upstream_failure(ProxyState& st, const client_api::ClientApi* api, httplib::Response& res,
                                      const std::exception& e);

// One exchange of any protocol: the request read (and translated to chat completions unless
// `api` is null: POST /v1/chat/completions), the model chosen, skills injected, the reply
// relayed (streamed or not, translated back), one record logged.
void handle_exchange(const std::shared_ptr<ProxyState>& state, const httplib::Request& req,
                     httplib::Response& res, const client_api::ClientApi* api);

}  // namespace autoswarm::proxy
