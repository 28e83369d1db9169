// `autoswarm start`: an OpenAI-compatible HTTP proxy in front of one upstream. It injects the
// skillbook into system prompts, relays streams event by event, and logs every chat completion.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/llm/endpoint.h"
#include "autoswarm/skills/skill_injection.h"

namespace autoswarm::proxy {

struct ProxyOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                               // 0: any free port (tests)
  llm::Endpoint upstream;                        // where requests go and the default model
  bool model_forced = false;                     // --model given: unserved models are replaced
  // --alias NAME=MODEL: a request naming NAME goes to MODEL (clients with hard-coded names).
  std::map<std::string, std::string> model_aliases;
  std::filesystem::path data_dir;                // holds skills.yaml and conversations/
  bool log_conversations = true;                 // --no-log turns it off
  // --skills-budget, --skills-max, --skills-min-score: how many skills a request gets.
  skills::InjectionLimits skill_limits;
  size_t max_body_bytes = 32 * 1024 * 1024;      // --max-body
  // A non-streaming upstream reply larger than this is a 502 (upstream_reply_too_large); a
  // streamed one is relayed whole, with back-pressure, whatever its size.
  size_t max_upstream_reply_bytes = 16 * 1024 * 1024;  // --max-upstream-reply
  // The most reply text (content, reasoning, tool arguments) a conversation record keeps; the
  // record says how many bytes were cut (reply.cut_bytes).
  size_t max_log_reply_bytes = 1024 * 1024;            // --max-log-reply
  std::string proxy_key;                         // --proxy-key: clients must send Bearer <key>
  bool insecure_no_auth = false;                 // --insecure-no-auth: allow non-loopback without a key
  // Browser pages allowed to call the proxy besides those on loopback (--cors-origin, repeatable).
  std::vector<std::string> cors_origins;
  std::chrono::milliseconds upstream_read_timeout{600000};
  std::chrono::milliseconds shutdown_grace{5000};  // in-flight requests get this long on stop
  // POST /v1/responses and /v1/messages go to the upstream's own route when it has one; an
  // upstream found without it is asked again after this long (it may have been upgraded).
  std::chrono::milliseconds native_reprobe_interval{std::chrono::minutes(10)};
  // What one client can hold (see README "Limits"): a request's headers must arrive within
  // header_timeout in all, however slowly they trickle; over the caps a connection gets a 503.
  std::chrono::milliseconds header_timeout{10000};  // --header-timeout
  size_t max_connections = 1024;                    // --max-connections
  size_t max_connections_per_client = 256;          // --max-connections-per-client
};

// The two steps of a chat completion that need no network, in the order the proxy takes them
// (and what tests/fuzz/fuzz_chat_request drives with any bytes):
//
// The request body as JSON (nesting bounded by util::parse_json) with its messages' shapes
// checked; nullopt with `problem` set to the 400 message, naming the field, otherwise.
std::optional<nlohmann::json> read_chat_request(std::string_view body_text, std::string* problem);
// Injects into body["messages"] the skills of `skills` chosen within `limits` for what the user
// wrote in the conversation; returns their ids. `body` must have passed read_chat_request.
std::vector<std::string> inject_skills(nlohmann::json& body, const skills::IndexedSkillBook& skills,
                                       const skills::InjectionLimits& limits);

class ProxyServer {
 public:
  // Validates the options (auth rules, data directory, skills.yaml) and binds the port.
  // Throws UsageError / FileError / Error with what to do — e.g. when the port is taken.
  explicit ProxyServer(ProxyOptions options);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  int port() const;                 // the bound port (useful with port 0)
  size_t skill_count();             // skills currently loaded
  // Serves until stop(); returns after in-flight requests finished (or the grace ran out) and
  // conversation logs were flushed.
  void run();
  // Stops accepting connections. Safe to call from any thread, also before run().
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace autoswarm::proxy
