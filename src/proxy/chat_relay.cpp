// One exchange of any protocol the proxy speaks: the client's request is translated to chat
// completions (client_api; chat completions themselves pass as they are), the model chosen,
// skills injected, the request relayed, the reply translated back and one record logged.
// Responses and Messages requests first try the upstream's own route (native_relay.cpp).
// Non-streaming chat completions are relayed byte for byte. Streams run the upstream request
// on their own thread, which hands each event (translated, where the protocol needs it) to the
// client's connection the moment it arrives (never buffered), while the one StreamAssembler
// rebuilds the reply for the conversation log.
#include <spdlog/spdlog.h>

#include <chrono>

#include "autoswarm/llm/errors.h"
#include "autoswarm/skills/skill_injection.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "exchange_log.h"
#include "native_relay.h"
#include "proxy_state.h"
#include "request_switches.h"
#include "stream_channel.h"

namespace autoswarm::proxy {
namespace {

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
  p.kind = conversations::classify_exchange(body["messages"]);
  if (switches.skills && p.kind == conversations::ExchangeKind::kChat) {
    p.injected_skill_ids = inject_skills(body, *st.skills->current(), st.options.skill_limits);
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
    const UpstreamFailure f = send_upstream_failure(st, p.api, res, e);
    o.status = f.status;
    o.error = f.message;
  }
  request_note().usage = o.reply.usage;
  write_log(st, p, o);
}

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

void run_upstream_stream(const std::shared_ptr<ProxyState>& st, const std::shared_ptr<StreamChannel>& ch,
                         const std::shared_ptr<PreparedChat>& p) {
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
}

void relay_stream(const std::shared_ptr<ProxyState>& st, const std::shared_ptr<PreparedChat>& p,
                  httplib::Response& res) {
  auto ch = std::make_shared<StreamChannel>();
  start_stream_thread(st, ch, [st, ch, p] { run_upstream_stream(st, ch, p); });
  answer_from_channel(p->api, ch, res);
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
                                       const skills::InjectionLimits& limits) {
  const skills::SkillBook& book = skills.book;
  const std::string query = skills::conversation_user_text(body["messages"]);
  const std::vector<size_t> chosen = skills::choose_skills(book, skills.index, query, limits);
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
    // An upstream that serves the protocol itself gets the request as the client sent it,
    // also one the translation refuses; one without the route gets it translated, as below.
    NativeRoute* route = st->native_route(api->protocol());
    if (route && route->should_try(Clock::now(), st->options.native_reprobe_interval) &&
        pass_through(st, req, res, *api, client, body, *switches)) {
      return;
    }
  }
  if (!body) return refuse(api, res, problem);
  auto p = std::make_shared<PreparedChat>(prepare(*st, std::move(*body), req, *switches, api, std::move(client)));
  request_note().model = p->model;
  if (p->stream) relay_stream(st, p, res);
  else relay_whole(*st, *p, res);
}

}  // namespace autoswarm::proxy
