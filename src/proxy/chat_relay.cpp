// One exchange of any protocol the proxy speaks: the client's request is translated to chat
// completions (client_api; chat completions themselves pass as they are), the model chosen,
// skills injected, the request relayed, the reply translated back and one record logged.
// Non-streaming chat completions are relayed byte for byte. Streams run the upstream request
// on their own thread, which hands each event (translated, where the protocol needs it) to the
// client's connection the moment it arrives (never buffered), while the one StreamAssembler
// rebuilds the reply for the conversation log.
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "autoswarm/llm/errors.h"
#include "autoswarm/skills/skill_injection.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"
#include "autoswarm/util/utc_time.h"
#include "proxy_state.h"
#include "request_switches.h"

namespace autoswarm::proxy {
namespace {

// Everything decided about one chat request before it goes upstream.
struct PreparedChat {
  const client_api::ClientApi* api = nullptr;  // the client's protocol; null: chat completions
  client_api::ReplyContext context;            // for the translated reply
  json body;                    // what the upstream receives
  std::string model;            // the model it names
  std::string client_body;      // as the client sent it, for the log
  std::string chat_body;        // a translated request as chat completions, before injection
  std::vector<std::string> injected_skill_ids;
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

PreparedChat prepare(ProxyState& st, json body, const httplib::Request& req, RequestSwitches switches,
                     const client_api::ClientApi* api, json client_request) {
  PreparedChat p;
  p.api = api;
  p.started_at = std::chrono::system_clock::now();
  p.started = Clock::now();
  body["model"] = st.model_for(util::string_field(body, "model"));
  p.log = st.log != nullptr && switches.log;
  if (p.log) {
    p.client_body = req.body;
    if (api) p.chat_body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (switches.skills) {
    p.injected_skill_ids = inject_skills(body, *st.skills->current(), st.options.skills_budget_tokens);
  }
  p.stream = body.value("stream", false) == true;
  const json so = body.value("stream_options", json::object());
  p.client_wants_usage = so.is_object() && so.value("include_usage", false) == true;
  p.conversation_id = conversations::new_conversation_id();
  p.model = body.value("model", "");
  if (api) {
    p.context.model = p.model;
    p.context.id = p.conversation_id;
    p.context.created = std::chrono::duration_cast<std::chrono::seconds>(p.started_at.time_since_epoch()).count();
    p.context.request = std::move(client_request);
    p.context.max_kept_bytes = st.options.max_upstream_reply_bytes;
  }
  p.body = std::move(body);
  return p;
}

// One conversation-log record in parts. The request thread only moves them in; the log's
// writer thread parses the client's body again and builds the JSON, off the reply's path.
struct ChatLogEntry {
  std::string id;
  std::chrono::system_clock::time_point started_at, ended_at;
  double latency_ms = 0;
  std::string upstream, model;
  client_api::Protocol protocol = client_api::Protocol::kChat;
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

// Hands the finished chat to the conversation log; `p` and `o` are spent afterwards.
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
  entry->stream = p.stream;
  entry->client_body = std::move(p.client_body);
  entry->chat_body = std::move(p.chat_body);
  entry->injected_skill_ids = std::move(p.injected_skill_ids);
  entry->outcome = std::move(o);
  keep_within(entry->outcome.reply, st.options.max_log_reply_bytes);
  std::string id = entry->id;
  st.log->append(std::move(id), [entry] { return entry->to_json(); });
}

void relay_whole(ProxyState& st, PreparedChat& p, httplib::Response& res) {
  ChatOutcome o;
  try {
    llm::HttpReply reply = st.client->post("/chat/completions", p.body.dump());
    o.status = reply.status;
    if (reply.status >= 200 && reply.status < 300) {
      try {
        o.reply = llm::ChatResponse::from_json(util::parse_json(reply.body));
        res.status = reply.status;
        if (p.api) {
          res.set_content(p.api->from_chat_reply(o.reply, p.context).dump(-1, ' ', false, json::error_handler_t::replace),
                          "application/json");
        } else {
          res.set_content(reply.body, reply.content_type.empty() ? "application/json" : reply.content_type);
        }
      } catch (const std::exception& e) {
        // A cut or garbled body is not a chat completion: the client gets a 502 it can act on,
        // not a 200 its SDK fails to parse.
        o.status = 502;
        o.error = std::string("the upstream's reply is not a chat completion: ") + e.what();
        send_error_as(p.api, res, 502, o.error + "; the upstream " + st.options.upstream.url.str() +
                      " may be overloaded or misconfigured", "upstream_error");
      }
    } else {
      o.error = llm::parse_error_body(reply.body).message;
      send_upstream_error_as(p.api, res, reply);
    }
  } catch (const llm::LlmError& e) {
    UpstreamFailure f = describe_upstream_failure(e, st.options.upstream.url.str());
    o.status = f.status;
    o.error = f.message;
    send_error_as(p.api, res, f.status, f.message, f.type);
  }
  request_note().usage = o.reply.usage;
  write_log(st, p, o);
}

// The hand-off between the upstream thread and the client's connection.
struct StreamChannel {
  std::mutex mu;
  std::condition_variable cv;
  std::string events;           // text not yet written to the client (whole SSE events or lines)
  size_t pushed = 0;
  bool finished = false;        // everything the client gets is in `events`
  bool cancelled = false;       // the client went away (or the proxy is shutting down)
  // Set when the upstream failed before anything reached the client: it then gets this
  // status and error body instead of a stream.
  int status = 200;
  std::string error_type, error_message;
  llm::Usage usage;

  // Past this much unsent text the upstream thread waits for the client to read: it stops
  // reading the upstream's socket, so TCP slows the upstream down instead of the proxy's
  // memory growing with a fast upstream and a slow client.
  static constexpr size_t kMaxQueuedBytes = 1024 * 1024;

  // Queues text for the client; false once it has gone.
  bool push(std::string_view text) {
    if (text.empty()) return !cancelled_now();
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return cancelled || events.size() < kMaxQueuedBytes; });
      if (cancelled) return false;
      events.append(text);
      ++pushed;
    }
    cv.notify_all();
    return true;
  }
  bool cancelled_now() {
    std::lock_guard lock(mu);
    return cancelled;
  }
  bool anything_pushed() {
    std::lock_guard lock(mu);
    return pushed > 0;
  }
  void cancel() {
    {
      std::lock_guard lock(mu);
      cancelled = true;
    }
    cv.notify_all();
  }
};

bool is_usage_only(const json& chunk) {
  return chunk.contains("usage") && chunk.contains("choices") && chunk["choices"].is_array() &&
         chunk["choices"].empty();
}

std::string sse_data(std::string_view data) {
  std::string event;
  event.reserve(data.size() + 8);
  event.append("data: ").append(data).append("\n\n");
  return event;
}

void run_upstream_stream(std::shared_ptr<ProxyState> st, std::shared_ptr<StreamChannel> ch,
                         std::shared_ptr<PreparedChat> p) {
  ChatOutcome o;
  std::string type, message;
  std::unique_ptr<client_api::StreamTranslator> translator =
      p->api ? p->api->stream_translator(p->context) : nullptr;
  bool error_relayed = false;  // the upstream's own error event went to the client as it is
  try {
    o.reply = st->client->chat_stream(std::move(p->body), [&](const json& chunk, std::string_view data) {
      if (st->shutting_down) return false;
      bool is_error = chunk.is_object() && chunk.contains("error") && !chunk.contains("choices");
      if (translator) {
        // An error event ends the stream with a StreamError: the protocol's error event follows.
        return is_error || (ch->push(translator->on_chunk(chunk)) && !translator->ended());
      }
      if (!is_error && !p->client_wants_usage && is_usage_only(chunk)) return true;
      error_relayed = error_relayed || is_error;
      return ch->push(sse_data(data));
    });
    o.client_disconnected = o.reply.cancelled;
    if (translator && translator->ended() && !ch->cancelled_now()) {
      o.client_disconnected = false;  // the stream had started: its status line was 200
      o.error = "the upstream's reply was larger than the translation keeps (--max-upstream-reply)";
    }
  } catch (const llm::StreamError& e) {
    o.reply = e.partial();
    o.error = e.what();
    message = e.what();
    type = "upstream_stream_error";
    o.status = 200;  // the stream had started: the status line was already 200
  } catch (const std::exception& e) {
    UpstreamFailure f = describe_upstream_failure(e, st->options.upstream.url.str());
    o.status = f.status;
    type = f.type;
    message = f.message;
    o.error = message;
  }
  // How the client's stream ends: the protocol's end (or error event, for a stream that broke
  // after it started); a failure before anything was sent is an error status instead.
  const bool started = ch->anything_pushed();
  if (!ch->cancelled_now() && (started || o.error.empty())) {
    std::string tail;
    if (translator && st->shutting_down) {
      tail = translator->on_error(503, "the proxy is stopping: the reply was cut", "server_error", o.reply);
    } else if (translator) {
      tail = o.error.empty() ? translator->on_finish(o.reply) : translator->on_error(502, message, type, o.reply);
    } else {
      if (!o.error.empty() && !error_relayed) tail = sse_data(client_api::openai_error_body(message, type, 502));
      tail += "data: [DONE]\n\n";
    }
    ch->push(tail);
  }
  {
    std::lock_guard lock(ch->mu);
    if (!o.error.empty() && ch->pushed == 0) {
      ch->status = o.status;
      ch->error_type = type;
      ch->error_message = message;
    }
    ch->usage = o.reply.usage;
    o.client_disconnected = o.client_disconnected || (ch->cancelled && !st->shutting_down);
  }
  // Queued before the client sees the end of its stream: when the log is behind, the client's
  // next request waits for it here, instead of finished streams piling up threads that wait.
  write_log(*st, *p, o);
  {
    std::lock_guard lock(ch->mu);
    ch->finished = true;
  }
  ch->cv.notify_all();
  {
    std::lock_guard lock(st->streams_mu);
    --st->active_streams;
  }
  st->streams_cv.notify_all();
}

void relay_stream(const std::shared_ptr<ProxyState>& st, std::shared_ptr<PreparedChat> p,
                  httplib::Response& res) {
  auto ch = std::make_shared<StreamChannel>();
  {
    std::lock_guard lock(st->streams_mu);
    ++st->active_streams;
  }
  const client_api::ClientApi* api = p->api;
  std::thread(run_upstream_stream, st, ch, p).detach();

  // The status line waits for the first event: an upstream that fails before it (refused,
  // 404 model, 503) gets its own status and error body, as a non-streaming call would.
  {
    std::unique_lock lock(ch->mu);
    ch->cv.wait(lock, [&] { return ch->pushed > 0 || ch->finished; });
    if (ch->pushed == 0) {
      request_note().usage = ch->usage;
      send_error_as(api, res, ch->error_message.empty() ? 502 : ch->status,
                    ch->error_message.empty() ? "the stream ended before it started" : ch->error_message,
                    ch->error_type.empty() ? "upstream_error" : ch->error_type);
      return;
    }
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      std::string(api ? api->stream_content_type() : "text/event-stream"),
      [ch](size_t, httplib::DataSink& sink) {
        for (;;) {
          // Whatever arrived since the last write goes out in one write.
          std::string text;
          bool finished = false;
          {
            std::unique_lock lock(ch->mu);
            ch->cv.wait(lock, [&] { return !ch->events.empty() || ch->finished; });
            text.swap(ch->events);
            finished = ch->finished;
            if (finished) request_note().usage = ch->usage;
          }
          ch->cv.notify_all();  // an upstream thread waiting for room may go on
          if (!text.empty() && !sink.write(text.data(), text.size())) {
            ch->cancel();
            return false;
          }
          if (finished) {
            sink.done();
            return true;
          }
        }
      },
      [ch](bool success) {
        if (!success) ch->cancel();
      });
}

// The 400 for a request the proxy cannot take, in the client's protocol.
void refuse(const client_api::ClientApi* api, httplib::Response& res, const std::string& problem) {
  send_error_as(api, res, 400, problem, "invalid_request_error");
}

}  // namespace

std::optional<json> read_chat_request(std::string_view body_text, std::string* problem) {
  json body;
  try {
    body = util::parse_json(body_text);
  } catch (const util::JsonError& e) {
    *problem = std::string("the request body is not valid JSON: ") + e.what();
    return std::nullopt;
  }
  *problem = llm::chat_request_problem(body);
  if (!problem->empty()) return std::nullopt;
  return body;
}

std::vector<std::string> inject_skills(json& body, const skills::IndexedSkillBook& skills,
                                       size_t budget_tokens) {
  const skills::SkillBook& book = skills.book;
  const std::string query = skills::latest_user_text(body["messages"]);
  const std::vector<size_t> chosen = skills::choose_skills(book, skills.index, query, budget_tokens);
  std::vector<std::string> ids;
  if (chosen.empty()) return ids;
  skills::inject_system_block(body["messages"], skills::render_skill_block(book, chosen));
  for (size_t i : chosen) ids.push_back(book.skills[i].id);
  return ids;
}

void handle_exchange(const std::shared_ptr<ProxyState>& st, const httplib::Request& req,
                     httplib::Response& res, const client_api::ClientApi* api) {
  std::string problem;
  std::optional<RequestSwitches> switches = read_switches(req, &problem);
  if (!switches) return refuse(api, res, problem);
  std::optional<json> body;
  json client;
  if (!api) {
    body = read_chat_request(req.body, &problem);
  } else {
    try {
      client = util::parse_json(req.body);
    } catch (const util::JsonError& e) {
      return refuse(api, res, std::string("the request body is not valid JSON: ") + e.what());
    }
    if (!client.is_object()) return refuse(api, res, "the request body must be a JSON object");
    body = api->to_chat_request(client, &problem);
    // A translation that yields messages chat completions refuse is our bug; the client still
    // gets a 400 that says what was wrong rather than a confusing upstream error.
    if (body && problem.empty()) problem = llm::chat_request_problem(*body);
    if (!problem.empty()) body.reset();
  }
  if (!body) return refuse(api, res, problem);
  auto p = std::make_shared<PreparedChat>(prepare(*st, std::move(*body), req, *switches, api, std::move(client)));
  request_note().model = p->model;
  if (p->stream) relay_stream(st, p, res);
  else relay_whole(*st, *p, res);
}

}  // namespace autoswarm::proxy
