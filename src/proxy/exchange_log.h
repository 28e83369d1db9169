// Internal to the proxy: what one exchange carries from its request to its conversation-log
// record, whichever way it was relayed (translated to chat completions or passed through to an
// upstream that serves the client's protocol itself).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/conversations/exchange_kind.h"
#include "autoswarm/llm/chat.h"
#include "gated_server.h"

namespace autoswarm::proxy {

using nlohmann::json;

struct ProxyState;

// Everything decided about one request before it goes upstream.
struct PreparedChat {
  const client_api::ClientApi* api = nullptr;  // the client's protocol; null: chat completions
  client_api::ReplyContext context;            // for the translated reply
  json body;                    // what the upstream receives
  std::string model;            // the model it names
  std::string client_body;      // as the client sent it, for the log
  // The request as chat completions (a translated one before injection; a passed-through one
  // as the translation reads it), for the log; empty for chat completions themselves.
  std::string chat_body;
  std::vector<std::string> injected_skill_ids;
  // A front end's background task (a title, tags, follow-ups) gets no skills and is logged as
  // a helper call, which reflect never reviews.
  conversations::ExchangeKind kind = conversations::ExchangeKind::kChat;
  bool stream = false;
  bool client_wants_usage = false;
  bool log = true;
  std::string conversation_id;
  std::chrono::system_clock::time_point started_at;
  Clock::time_point started;
};

// What happened upstream, for the log record.
struct ChatOutcome {
  int status = 200;
  std::string error;
  llm::ChatResponse reply;
  bool client_disconnected = false;
};

// Hands the finished exchange to the conversation log (when `p.log`); `p` and `o` are spent
// afterwards. The record's reply text is cut to --max-log-reply.
void write_log(ProxyState& st, PreparedChat& p, ChatOutcome& o);

}  // namespace autoswarm::proxy
