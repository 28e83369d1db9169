// The conversation-log record of one exchange: built off the reply's path, on the log's writer
// thread, from parts the request thread only moves in.
#include "exchange_log.h"

#include "autoswarm/conversations/conversation_log.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"
#include "autoswarm/util/utc_time.h"
#include "proxy_state.h"

namespace autoswarm::proxy {
namespace {

// One conversation-log record in parts. The request thread only moves them in; the log's
// writer thread parses the client's body again and builds the JSON, off the reply's path.
struct ChatLogEntry {
  std::string id;
  std::chrono::system_clock::time_point started_at, ended_at;
  double latency_ms = 0;
  std::string upstream, model;
  client_api::Protocol protocol = client_api::Protocol::kChat;
  conversations::ExchangeKind kind = conversations::ExchangeKind::kChat;
  bool stream = false;
  std::string client_body;
  std::string chat_body;  // empty for chat completions: client_body is the chat request
  std::vector<std::string> injected_skill_ids;
  ChatOutcome outcome;

  // `messages`, `tools` and `params` are always chat completions' (what reflect reads, whatever
  // the protocol); a translated exchange also keeps the client's request exactly as it came.
  json to_json() const {
    json client = util::try_parse_json(chat_body.empty() ? client_body : chat_body);
    if (!client.is_object()) client = json::object();
    json messages = client.contains("messages") ? std::move(client["messages"]) : json();
    json tools = client.contains("tools") ? std::move(client["tools"]) : json();
    json params = std::move(client);  // the request's other fields, with the model it went to
    params.erase("messages");
    params.erase("tools");
    params["model"] = model;
    const llm::ChatResponse& r = outcome.reply;
    json reply = {{"content", r.content}, {"tool_calls", json::array()}, {"finish_reason", r.finish_reason}};
    if (!r.reasoning_content.empty()) reply["reasoning_content"] = r.reasoning_content;
    if (r.cut_bytes > 0) reply["cut_bytes"] = r.cut_bytes;
    for (const auto& c : r.tool_calls) reply["tool_calls"].push_back(c.to_json());
    json record = {
        {"id", id},
        {"started_at", util::utc_timestamp_ms(started_at)},
        {"ended_at", util::utc_timestamp_ms(ended_at)},
        {"upstream", upstream},
        {"model", model},
        {"protocol", client_api::protocol_name(protocol)},
        {"kind", conversations::kind_name(kind)},
        {"stream", stream},
        {"messages", std::move(messages)},
        {"tools", std::move(tools)},
        {"params", std::move(params)},
        {"injected_skills", injected_skill_ids},
        {"reply", std::move(reply)},
        {"usage", r.usage.reported ? r.usage.to_json() : json()},
        {"latency_ms", latency_ms},
        {"status", outcome.status},
        {"error", outcome.error.empty() ? json() : json(outcome.error)},
        {"client_disconnected", outcome.client_disconnected},
    };
    if (!chat_body.empty()) {
      json request = util::try_parse_json(client_body);
      record["client_request"] = request.is_discarded() ? json() : std::move(request);
    }
    return record;
  }
};

// Cuts the reply's text to `max_bytes` in all (a non-streamed reply arrives whole; a streamed
// one was bounded while it was assembled), counting what was cut.
void keep_within(llm::ChatResponse& r, size_t max_bytes) {
  size_t left = max_bytes;
  auto keep = [&](std::string& text) {
    std::string_view kept = util::utf8_head(text, left);
    r.cut_bytes += text.size() - kept.size();
    left = kept.size() < text.size() ? 0 : left - kept.size();
    text.resize(kept.size());
  };
  keep(r.content);
  keep(r.reasoning_content);
  for (llm::ToolCall& call : r.tool_calls) keep(call.arguments);
}

}  // namespace

void write_log(ProxyState& st, PreparedChat& p, ChatOutcome& o) {
  if (!p.log) return;
  auto entry = std::make_shared<ChatLogEntry>();
  entry->id = p.conversation_id;
  entry->started_at = p.started_at;
  entry->ended_at = std::chrono::system_clock::now();
  entry->latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - p.started).count();
  entry->upstream = st.options.upstream.url.str();
  entry->model = p.model;
  entry->protocol = p.api ? p.api->protocol() : client_api::Protocol::kChat;
  entry->kind = p.kind;
  entry->stream = p.stream;
  entry->client_body = std::move(p.client_body);
  entry->chat_body = std::move(p.chat_body);
  entry->injected_skill_ids = std::move(p.injected_skill_ids);
  entry->outcome = std::move(o);
  keep_within(entry->outcome.reply, st.options.max_log_reply_bytes);
  std::string id = entry->id;
  st.log->append(std::move(id), [entry] { return entry->to_json(); });
}

}  // namespace autoswarm::proxy
