// Pass-through of Responses and Messages requests to an upstream that serves them itself, and of
// Ollama's /api/chat and /api/generate to an Ollama upstream (which keeps `options` such as
// num_ctx, `keep_alive`, `format`, `images` and `raw`, which the translation drops). The
// proxy still does its part — the model, the skills, the log record — but leaves the protocol
// alone: every field the client sent reaches the upstream and every byte of the reply reaches
// the client, so what the translation to chat completions cannot carry keeps working.
#include "native_relay.h"

#include "autoswarm/client_api/native_reply.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/skills/skill_injection.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"
#include "exchange_log.h"
#include "proxy_state.h"
#include "stream_channel.h"

namespace autoswarm::proxy {
namespace {

using client_api::Protocol;

// The upstream's route for a protocol: Responses and Messages under /v1, Ollama's at its root.
struct NativePath {
  const char* path;
  llm::PathBase base;
};
NativePath native_path(Protocol protocol) {
  switch (protocol) {
    case Protocol::kMessages: return {"/messages", llm::PathBase::kApi};
    case Protocol::kOllamaChat: return {"/api/chat", llm::PathBase::kRoot};
    case Protocol::kOllamaGenerate: return {"/api/generate", llm::PathBase::kRoot};
    default: return {"/responses", llm::PathBase::kApi};
  }
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

bool is_success(int status) { return status >= 200 && status < 300; }

// Whether a 404 or 405 means the upstream has no such route. vLLM, Ollama and LM Studio also
// answer 404 on routes they have, for a model they do not know (or when none is loaded), and
// each of those errors mentions the model; their unknown-route errors ("404 page not found",
// {"detail":"Not Found"}, "Unexpected endpoint or method") never do.
bool route_missing(const llm::HttpReply& reply) {
  if (reply.status != 404 && reply.status != 405) return false;
  return util::ascii_lower(reply.body).find("model") == std::string::npos;
}

// Adds the skill block where the protocol keeps its system prompt: after Responses'
// `instructions`, Messages' or /api/generate's `system` string (a blank line between), as one
// more text block of a `system` list, or as the whole field when the client sent none; into
// /api/chat's first system message as chat completions get it. A field of another type is the
// upstream's to refuse: it is left alone, without skills.
bool add_system_text(json& body, Protocol protocol, const std::string& block) {
  if (protocol == Protocol::kOllamaChat) {
    auto messages = body.find("messages");
    if (messages == body.end() || !messages->is_array()) return false;
    skills::inject_system_block(*messages, block);
    return true;
  }
  json& field = body[protocol == Protocol::kResponses ? "instructions" : "system"];
  if (field.is_null()) {
    field = block;
  } else if (field.is_string()) {
    std::string& text = field.get_ref<std::string&>();
    text = text.empty() ? block : text + "\n\n" + block;
  } else if (protocol == Protocol::kMessages && field.is_array()) {
    field.push_back({{"type", "text"}, {"text", block}});
  } else {
    return false;
  }
  return true;
}

// The skills chosen as inject_skills chooses them, for the user's text of the request as chat
// completions (none when it could not be translated: then only the `always` skills).
std::vector<std::string> inject_native_skills(json& body, Protocol protocol, const skills::IndexedSkillBook& skills,
                                              const skills::InjectionLimits& limits, const std::optional<json>& translated) {
  const skills::SkillBook& book = skills.book;
  const std::string query =
      translated && translated->contains("messages") ? skills::conversation_user_text((*translated)["messages"]) : "";
  const std::vector<size_t> chosen = skills::choose_skills(book, skills.index, query, limits);
  std::vector<std::string> ids;
  if (chosen.empty() || !add_system_text(body, protocol, skills::render_skill_block(book, chosen))) return ids;
  for (size_t i : chosen) ids.push_back(book.skills[i].id);
  return ids;
}

std::shared_ptr<PreparedChat> prepare_native(ProxyState& st, const httplib::Request& req,
                                             const client_api::ClientApi& api, const json& client,
                                             const std::optional<json>& translated, RequestSwitches switches) {
  auto p = std::make_shared<PreparedChat>();
  p->api = &api;
  p->started_at = std::chrono::system_clock::now();
  p->started = Clock::now();
  json body = client;
  p->model = st.model_for(util::string_field(client, "model"));
  body["model"] = p->model;
  p->log = st.log != nullptr && switches.log;
  if (p->log) {
    p->client_body = req.body;
    p->chat_body = dump(translated ? *translated : json{{"messages", json::array()}});
  }
  if (translated && translated->contains("messages")) p->kind = conversations::classify_exchange((*translated)["messages"]);
  if (switches.skills && p->kind == conversations::ExchangeKind::kChat) {
    p->injected_skill_ids = inject_native_skills(body, api.protocol(), *st.skills->current(),
                                                 st.options.skill_limits, translated);
  }
  // Ollama streams unless told not to; the OpenAI-style protocols only when told to.
  auto stream = body.find("stream");
  const bool given = stream != body.end() && stream->is_boolean();
  p->stream = given ? stream->get<bool>() : client_api::is_ollama(api.protocol());
  p->conversation_id = conversations::new_conversation_id();
  p->body = std::move(body);
  return p;
}

// The client's headers that belong to its protocol and go upstream with it: Anthropic's
// version and beta features (one anthropic-beta list, however many headers carried it).
llm::ExtraHeaders forwarded_headers(const httplib::Request& req, Protocol protocol) {
  llm::ExtraHeaders headers;
  if (protocol != Protocol::kMessages) return headers;
  for (const char* name : {"anthropic-version", "anthropic-beta"}) {
    std::vector<std::string> values;
    for (size_t i = 0; i < req.get_header_value_count(name); ++i) values.push_back(req.get_header_value(name, i));
    if (!values.empty()) headers.emplace_back(name, util::join(values, ","));
  }
  return headers;
}

bool pass_whole(ProxyState& st, PreparedChat& p, NativeRoute& route, const llm::ExtraHeaders& headers,
                httplib::Response& res) {
  const Protocol protocol = p.api->protocol();
  ChatOutcome o;
  try {
    const NativePath route_path = native_path(protocol);
    llm::HttpReply reply = st.client->post(route_path.path, dump(p.body), headers, route_path.base);
    if (route_missing(reply)) {
      route.remember_not_served(Clock::now());
      return false;
    }
    o.status = reply.status;
    if (is_success(reply.status)) {
      route.remember_served();
      o.reply = client_api::read_native_reply(protocol, util::try_parse_json(reply.body), st.options.max_log_reply_bytes);
      res.status = reply.status;
      res.set_content(std::move(reply.body), reply.content_type.empty() ? "application/json" : reply.content_type);
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
  return true;
}

// The upstream thread of a passed-through stream: every byte the upstream sends is pushed to
// the client as it came, and read on the way for the log record.
void run_native_stream(const std::shared_ptr<ProxyState>& st, StreamChannel& ch, PreparedChat& p, NativeRoute& route,
                       const llm::ExtraHeaders& headers) {
  const Protocol protocol = p.api->protocol();
  ChatOutcome o;
  client_api::NativeStreamReader reader(protocol, st->options.max_log_reply_bytes);
  std::string type, message;
  bool cut = false, cancelled = false, first = true;
  const NativePath route_path = native_path(protocol);
  try {
    llm::HttpReply reply = st->client->post_stream(
        route_path.path, dump(p.body), headers, [&](std::string_view bytes, const llm::HttpReply& head) {
          if (st->shutting_down) return false;
          if (first) {
            first = false;
            std::lock_guard lock(ch.mu);
            ch.content_type = head.content_type;
          }
          reader.feed(bytes);
          return ch.push(bytes);
        },
        route_path.base);
    o.status = reply.status;
    cancelled = reply.cancelled;
    if (route_missing(reply)) {
      route.remember_not_served(Clock::now());
      std::lock_guard lock(ch.mu);
      ch.not_served = true;
      return;  // no record: the translated exchange that follows writes it
    }
    if (!is_success(reply.status)) {
      o.error = llm::parse_error_body(reply.body).message;
      std::lock_guard lock(ch.mu);
      ch.upstream_error = std::move(reply);
    } else {
      route.remember_served();
    }
  } catch (const llm::StreamError& e) {
    o.error = message = e.what();
    type = "upstream_stream_error";
    cut = true;  // o.status stays 200: the stream had started
  } catch (const std::exception& e) {
    UpstreamFailure f = describe_upstream_failure(e, st->options.upstream.url.str());
    o.status = f.status;
    type = f.type;
    o.error = message = f.message;
  }
  reader.finish();
  o.reply = reader.reply();
  const bool relayed = is_success(o.status) && o.error.empty();
  if (relayed && st->shutting_down && !reader.ended()) {
    o.error = "the proxy is stopping: the reply was cut";
    cut = true;
  } else if (relayed && !reader.error().empty()) {
    o.error = reader.error();  // the upstream's error event reached the client as it was sent
  } else if (relayed && !cancelled && !reader.ended()) {
    o.error = message = "the upstream's stream ended before its last event";
  }
  {
    std::lock_guard lock(ch.mu);
    if (!o.error.empty() && ch.pushed == 0 && !ch.upstream_error) {
      ch.status = o.status >= 400 ? o.status : 502;
      ch.error_type = type;
      ch.error_message = message;
    }
    ch.cut = cut;
    ch.usage = o.reply.usage;
    o.client_disconnected = ch.cancelled && !st->shutting_down;
  }
  write_log(*st, p, o);
}

bool pass_stream(const std::shared_ptr<ProxyState>& st, const std::shared_ptr<PreparedChat>& p, NativeRoute& route,
                 llm::ExtraHeaders headers, httplib::Response& res) {
  auto ch = std::make_shared<StreamChannel>();
  NativeRoute* r = &route;  // a member of *st, which the thread holds
  start_stream_thread(st, ch, [st, ch, p, r, headers = std::move(headers)] { run_native_stream(st, *ch, *p, *r, headers); });
  return answer_from_channel(p->api, ch, res);
}

}  // namespace

bool NativeRoute::should_try(Clock::time_point now, std::chrono::milliseconds reprobe_interval) {
  if (support_ != NativeSupport::kNotServed) return true;
  Clock::rep asked = asked_at_;
  if (now - Clock::time_point(Clock::duration(asked)) < reprobe_interval) return false;
  // One request asks again; those arriving meanwhile are translated.
  return asked_at_.compare_exchange_strong(asked, now.time_since_epoch().count());
}

void NativeRoute::remember_not_served(Clock::time_point now) {
  asked_at_ = now.time_since_epoch().count();
  support_ = NativeSupport::kNotServed;
}

NativeRoute* ProxyState::native_route(Protocol protocol) {
  // Only Ollama serves its own API: an upstream found to be another server is never asked.
  const llm::ServerKind kind = options.upstream.kind;
  const bool may_be_ollama = kind == llm::ServerKind::kOllama || kind == llm::ServerKind::kCustom;
  switch (protocol) {
    case Protocol::kResponses: return &native_responses;
    case Protocol::kMessages: return &native_messages;
    case Protocol::kOllamaChat: return may_be_ollama ? &native_ollama_chat : nullptr;
    case Protocol::kOllamaGenerate: return may_be_ollama ? &native_ollama_generate : nullptr;
    default: return nullptr;
  }
}

bool pass_through(const std::shared_ptr<ProxyState>& st, const httplib::Request& req, httplib::Response& res,
                  const client_api::ClientApi& api, const json& client, const std::optional<json>& translated,
                  RequestSwitches switches) {
  NativeRoute* route = st->native_route(api.protocol());
  if (route == nullptr) return false;
  std::shared_ptr<PreparedChat> p = prepare_native(*st, req, api, client, translated, switches);
  request_note().model = p->model;
  llm::ExtraHeaders headers = forwarded_headers(req, api.protocol());
  if (p->stream) return pass_stream(st, p, *route, std::move(headers), res);
  return pass_whole(*st, *p, *route, headers, res);
}

bool relay_beside_native(ProxyState& st, const httplib::Request& req, httplib::Response& res,
                         const client_api::ClientApi& api, const char* method, const std::string& api_path) {
  NativeRoute* route = st.native_route(api.protocol());
  if (route == nullptr || route->support() != NativeSupport::kServed) return false;
  try {
    llm::HttpReply reply = std::string_view(method) == "GET"
                               ? st.client->get_api(api_path)
                               : st.client->post(api_path, req.body.empty() ? "{}" : req.body,
                                                 forwarded_headers(req, api.protocol()));
    if (route_missing(reply)) return false;
    if (is_success(reply.status)) {
      res.status = reply.status;
      res.set_content(reply.body, reply.content_type.empty() ? "application/json" : reply.content_type);
    } else {
      send_upstream_error_as(&api, res, reply);
    }
  } catch (const llm::LlmError& e) {
    send_upstream_failure(st, &api, res, e);
  }
  return true;
}

}  // namespace autoswarm::proxy
