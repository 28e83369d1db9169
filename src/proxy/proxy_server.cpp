// The proxy's HTTP surface: routes, client authentication, OpenAI-style errors, the access log,
// and a graceful stop. Chat completions themselves are in chat_relay.cpp.
#include "autoswarm/proxy/proxy_server.h"

#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/llm/model_list.h"
#include "autoswarm/util/data_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/loopback.h"
#include "autoswarm/version.h"
#include "native_relay.h"
#include "ollama_routes.h"
#include "proxy_state.h"
#include "worker_pool.h"

namespace autoswarm::proxy {
namespace {

// Connection workers: enough kept for 64 concurrent streams plus keep-alive connections; more
// start on demand, up to one per connection the caps allow.
constexpr size_t kMinServerThreads = 96;
constexpr auto kIdleWorkerExit = std::chrono::seconds(30);
constexpr int kListenBacklog = 1024;

// Compares what a client sent with the key in time that depends on the client's input only:
// neither the key's bytes nor its length show in how long a wrong guess takes.
bool constant_time_equal(const std::string& sent, const std::string& key) {
  if (key.empty()) return sent.empty();
  size_t diff = sent.size() ^ key.size();
  for (size_t i = 0; i < sent.size(); ++i) {
    diff |= static_cast<unsigned char>(sent[i] ^ key[i % key.size()]);
  }
  return diff == 0;
}

std::string default_message(int status) {
  switch (status) {
    case 404: return "unknown endpoint; AutoSwarm serves /v1/chat/completions, /v1/responses, /v1/messages, "
                     "/v1/messages/count_tokens, /v1/models, /v1/models/{id}, /v1/embeddings, "
                     "/v1/completions, Ollama's /api/chat, /api/generate, /api/tags, /api/ps, "
                     "/api/show, /api/embed, /api/version, and /health";
    case 405: return "method not allowed for this endpoint";
    case 413: return "request body too large (raise the limit with --max-body)";
    case 400: return "bad request";
    default: return "HTTP " + std::to_string(status);
  }
}

std::string error_type_for(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

// Relays a request outside chat completions (models, embeddings, completions) as it is.
void relay_plain(ProxyState& st, const httplib::Request& req, httplib::Response& res,
                 const std::string& api_path) {
  try {
    llm::HttpReply reply;
    if (req.method == "GET") {
      reply = st.client->get_api(api_path);
      if (api_path == "/models" && reply.status == 200) st.remember_models(reply.body);
    } else {
      std::string why;
      json body = util::try_parse_json(req.body, &why);
      if (body.is_discarded() || !body.is_object()) {
        send_error(res, 400,
                   "the request body is not a valid JSON object" + (why.empty() ? "" : ": " + why),
                   "invalid_request_error");
        return;
      }
      if (!body.contains("model") || body["model"].is_string()) {
        body["model"] = st.model_for(util::string_field(body, "model"));
      }
      request_note().model = body.value("model", "");
      reply = st.client->post(api_path, body.dump());
    }
    res.status = reply.status;
    if (reply.status >= 200 && reply.status < 300) {
      res.set_content(reply.body, reply.content_type.empty() ? "application/json" : reply.content_type);
    } else {
      send_upstream_error(res, reply);
    }
  } catch (const llm::LlmError& e) {
    send_upstream_failure(st, nullptr, res, e);
  }
}

// GET /v1/models: the upstream's list, with an entry for each --alias so that a client that
// checks its hard-coded model name against the list finds it.
void handle_models(ProxyState& st, const httplib::Request& req, httplib::Response& res) {
  relay_plain(st, req, res, "/models");
  if (res.status != 200 || st.options.model_aliases.empty()) return;
  json list = util::try_parse_json(res.body);
  if (!list.is_object() || !list.contains("data")) return;
  if (!list["data"].is_array()) list["data"] = json::array();
  for (const auto& [alias, model] : st.options.model_aliases) {
    list["data"].push_back({{"id", alias}, {"object", "model"}, {"created", 0}, {"owned_by", "autoswarm alias of " + model}});
  }
  res.set_content(list.dump(), "application/json");
}

// GET /v1/models/{id}: the entry of a model the upstream serves (or an alias of one), else 404.
// Read from the upstream's list, which every OpenAI-compatible server has, rather than its
// /v1/models/{id}, which many do not.
void handle_model_entry(ProxyState& st, const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  const std::string& target = st.alias_target(id);
  relay_plain(st, req, res, "/models");
  if (res.status != 200) return;
  const json list = util::try_parse_json(res.body);
  if (list.is_object() && list.contains("data") && list["data"].is_array()) {
    for (const auto& entry : list["data"]) {
      if (util::string_field(entry, "id") != target) continue;
      json out = entry;
      out["id"] = id;
      res.set_content(out.dump(), "application/json");
      return;
    }
  }
  send_error(res, 404,
             "model '" + id + "' is not served by the upstream (" + st.options.upstream.url.str() +
                 "); GET /v1/models lists the ones it serves" +
                 (target != id ? " (it is an --alias of '" + target + "')" : ""),
             "invalid_request_error", "model_not_found");
}

// /health needs no key (monitors call it), so beyond loopback it says only whether the proxy
// works, not where its upstream is or which model it serves.
void handle_health(ProxyState& st, const httplib::Request& req, httplib::Response& res) {
  bool reachable = false;
  try {
    reachable = st.health_client->get_api("/models").status < 500;
  } catch (const llm::LlmError&) {
  }
  conversations::ConversationLog::Dropped dropped;
  if (st.log) dropped = st.log->dropped();
  const char* status = !reachable ? "upstream_unreachable" : dropped.count > 0 ? "degraded" : "ok";
  json body = {{"status", status}, {"service", "autoswarm"}, {"version", kVersion}, {"upstream_reachable", reachable}};
  if (util::is_loopback_host(req.remote_addr) || !st.options.proxy_key.empty()) {
    body["upstream"] = st.options.upstream.url.str();
    body["model"] = st.options.upstream.model;
    body["skills"] = st.skills->current()->book.skills.size();
  }
  body["log"] = st.log ? json{{"enabled", true}, {"dropped", dropped.count}} : json{{"enabled", false}};
  if (dropped.count > 0) body["log"]["last_error"] = dropped.last_error;
  res.status = reachable ? 200 : 503;
  res.set_content(body.dump(), "application/json");
}

// The protocol a path belongs to, for the error bodies the proxy writes before (or without)
// a route: a refused connection, a wrong key, an unknown endpoint, a body too large. An
// Anthropic client reads only Anthropic errors; everything else speaks OpenAI's.
const client_api::ClientApi* api_for_path(const std::string& path) {
  if (path == "/v1/messages" || path.rfind("/v1/messages/", 0) == 0) return &client_api::messages_api();
  if (path.rfind("/api/", 0) == 0) return &client_api::ollama_chat_api();
  return nullptr;
}

// POST /v1/messages/count_tokens: relayed to an upstream that serves /v1/messages and counts;
// else the request is translated as /v1/messages would be (so a request the proxy could not
// relay is refused the same way) and its tokens estimated.
void handle_count_tokens(ProxyState& st, const httplib::Request& req, httplib::Response& res) {
  const client_api::ClientApi& api = client_api::messages_api();
  // An upstream that serves /v1/messages may count with its own tokenizer (vLLM does).
  if (relay_beside_native(st, req, res, api, "POST", "/messages/count_tokens")) return;
  std::string why;
  json request = util::try_parse_json(req.body, &why);
  if (request.is_discarded() || !request.is_object()) {
    return send_error_as(&api, res, 400, "the request body is not a valid JSON object" + (why.empty() ? "" : ": " + why),
                         "invalid_request_error");
  }
  std::string problem;
  std::optional<json> chat = api.to_chat_request(request, &problem);
  if (!chat) return send_error_as(&api, res, 400, problem, "invalid_request_error");
  res.set_content(json{{"input_tokens", client_api::estimate_prompt_tokens(*chat)}}.dump(), "application/json");
}

// The key a client sent: "Authorization: Bearer KEY", or "x-api-key: KEY" as Anthropic's
// clients send it (Claude Code, @anthropic-ai/sdk).
std::string client_key(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.size() >= 7 && strncasecmp(h.c_str(), "Bearer ", 7) == 0) return h.substr(7);
  return req.get_header_value("x-api-key");
}

}  // namespace

RequestNote& request_note() {
  thread_local RequestNote note;
  return note;
}

std::string error_json(const std::string& message, const std::string& type, const json& code) {
  return client_api::openai_error_body(message, type, code);
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const std::string& type, const json& code) {
  res.status = status;
  res.set_content(error_json(message, type, code.is_null() ? json(status) : code), "application/json");
}

void send_upstream_error(httplib::Response& res, const llm::HttpReply& reply) {
  llm::ErrorBody eb = llm::parse_error_body(reply.body);
  send_error(res, reply.status,
             eb.message.empty() ? "upstream answered HTTP " + std::to_string(reply.status) : eb.message,
             eb.type.empty() ? "upstream_error" : eb.type, eb.code);
  if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
}

void send_error_as(const client_api::ClientApi* api, httplib::Response& res, int status,
                   const std::string& message, const std::string& type) {
  if (!api) return send_error(res, status, message, type);
  res.status = status;
  res.set_content(api->error_body(status, message, type), "application/json");
}

void send_upstream_error_as(const client_api::ClientApi* api, httplib::Response& res, const llm::HttpReply& reply) {
  if (!api) return send_upstream_error(res, reply);
  llm::ErrorBody eb = llm::parse_error_body(reply.body);
  send_error_as(api, res, reply.status,
                eb.message.empty() ? "upstream answered HTTP " + std::to_string(reply.status) : eb.message,
                eb.type.empty() ? "upstream_error" : eb.type);
  if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
}

UpstreamFailure describe_upstream_failure(const std::exception& e, const std::string& upstream) {
  UpstreamFailure f{502, "upstream_error", e.what()};
  if (auto* http = dynamic_cast<const llm::HttpError*>(&e)) {
    f.status = http->status();
    if (!http->type().empty()) f.type = http->type();
    if (!http->upstream_message().empty()) f.message = http->upstream_message();
  } else if (dynamic_cast<const llm::TimeoutError*>(&e)) {
    f.status = 504;
    f.type = "upstream_timeout";
  } else if (dynamic_cast<const llm::ReplyTooLargeError*>(&e)) {
    f.type = "upstream_reply_too_large";
    f.message += " (raise the limit with --max-upstream-reply)";
  } else if (dynamic_cast<const llm::ConnectionError*>(&e)) {
    f.type = "upstream_unreachable";
    f.message += "; the upstream " + upstream + " is not answering — run `autoswarm doctor` to see what is running";
  }
  return f;
}

UpstreamFailure send_upstream_failure(ProxyState& st, const client_api::ClientApi* api, httplib::Response& res,
                                      const std::exception& e) {
  UpstreamFailure f = describe_upstream_failure(e, st.options.upstream.url.str());
  send_error_as(api, res, f.status, f.message, f.type);
  return f;
}

const std::string& ProxyState::alias_target(const std::string& name) const {
  auto alias = options.model_aliases.find(name);
  return alias != options.model_aliases.end() ? alias->second : name;
}

std::string ProxyState::model_for(const std::string& requested) {
  const std::string& model = alias_target(requested);
  if (model.empty() || (options.model_forced && !serves(model))) return options.upstream.model;
  return model;
}

bool ProxyState::serves(const std::string& model) {
  std::lock_guard lock(models_mu);
  return served_models.count(model) > 0;
}

void ProxyState::remember_models(const std::string& models_body) {
  std::optional<std::vector<llm::ModelInfo>> listed = llm::read_model_list(util::try_parse_json(models_body));
  if (!listed) return;
  std::lock_guard lock(models_mu);
  served_models.clear();
  for (const auto& m : *listed) served_models.insert(m.id);
}

struct ProxyServer::State {
  std::shared_ptr<ProxyState> shared = std::make_shared<ProxyState>();
  int port = 0;
};

ProxyServer::ProxyServer(ProxyOptions options) : state_(std::make_unique<State>()) {
  auto st = state_->shared;
  ProxyOptions& o = st->options;
  o = std::move(options);
  if (!util::is_loopback_host(o.host) && o.proxy_key.empty() && !o.insecure_no_auth) {
    throw UsageError("listening on " + o.host + " exposes your LLM and your chats to the network; "
                     "pass --proxy-key KEY (clients then send 'Authorization: Bearer KEY'), "
                     "or --insecure-no-auth if you really want no authentication");
  }
  validate_cors_origins(o.cors_origins, !o.proxy_key.empty());
  st->gate = std::make_unique<RequestGate>(RequestGatePolicy{o.host, o.cors_origins, o.proxy_key.empty() && !o.insecure_no_auth});
  const util::DataDir data(o.data_dir);
  data.ensure();
  st->skills = std::make_unique<skills::SkillBookWatcher>(data.skills_file());
  if (o.log_conversations) st->log = std::make_unique<conversations::ConversationLog>(data.conversations());

  llm::ClientOptions co = llm::ClientOptions::for_endpoint(o.upstream);
  co.internal = false;  // it relays its clients' requests, which are not AutoSwarm's own
  co.read_timeout = o.upstream_read_timeout;
  co.max_reply_bytes = o.max_upstream_reply_bytes;
  // A streamed reply is relayed whole; only the copy kept for the log is bounded.
  co.max_assembled_bytes = o.max_log_reply_bytes;
  st->client = std::make_unique<llm::Client>(co);
  co.connect_timeout = std::chrono::milliseconds(1000);
  co.read_timeout = std::chrono::milliseconds(2000);
  co.max_retries = 0;
  st->health_client = std::make_unique<llm::Client>(co);
  try {
    llm::HttpReply models = st->health_client->get_api("/models");
    if (models.status == 200) st->remember_models(models.body);
  } catch (const llm::LlmError& e) {
    spdlog::warn("could not list the upstream's models: {}", e.what());
  }

  GatedServer& server = st->server;
  ConnectionLimits limits;
  limits.header_timeout = o.header_timeout;
  limits.max_connections = o.max_connections;
  limits.max_connections_per_client = o.max_connections_per_client;
  server.set_limits(limits);
  server.new_task_queue = [max = o.max_connections + 16] {
    return new ElasticWorkerPool(kMinServerThreads, max, kIdleWorkerExit);
  };
  server.set_payload_max_length(o.max_body_bytes);
  server.set_keep_alive_max_count(100000);
  // Replies go out in several writes (headers, body, chunks); Nagle would hold them ~40 ms.
  server.set_tcp_nodelay(true);
  // An idle keep-alive connection holds a worker until this runs out, and stop() waits for it.
  server.set_keep_alive_timeout(2);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);

  std::weak_ptr<ProxyState> weak = st;
  server.set_pre_routing_handler([weak](const httplib::Request& req, httplib::Response& res) {
    request_note() = RequestNote{Clock::now(), "", {}};
    GatedServer::headers_read(req);
    auto s = weak.lock();
    if (!s) return httplib::Server::HandlerResponse::Unhandled;
    if (s->gate->answer_preflight(req, res)) return httplib::Server::HandlerResponse::Handled;
    if (auto refusal = s->gate->check(req, res)) {
      send_error_as(api_for_path(req.path), res, refusal->status, refusal->message, refusal->type);
      // The body was not read: the connection cannot carry another request.
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Clients on loopback may send no key, an empty Bearer or any Bearer — unless the user set
    // --proxy-key, which is then required from everyone.
    if (!s->options.proxy_key.empty() && req.path != "/health" &&
        !constant_time_equal(client_key(req), s->options.proxy_key)) {
      send_error_as(api_for_path(req.path), res, 401,
                    "missing or wrong API key: send 'Authorization: Bearer <the --proxy-key value>' (or 'x-api-key: <it>')",
                    "authentication_error");
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.Post("/v1/chat/completions", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_exchange(s, req, res, nullptr);
  });
  server.Post("/v1/responses", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_exchange(s, req, res, &client_api::responses_api());
  });
  // A stored response lives on an upstream that serves /v1/responses itself; a translated one
  // was never stored (chat completions keep nothing), so there is none to fetch or cancel.
  const auto not_stored = [weak](const httplib::Request& req, httplib::Response& res) {
    auto s = weak.lock();
    const bool cancel = req.path.size() > 7 && req.path.compare(req.path.size() - 7, 7, "/cancel") == 0;
    const std::string api_path = req.path.substr(3);  // without /v1
    if (s && req.method != "DELETE" &&
        relay_beside_native(*s, req, res, client_api::responses_api(), cancel ? "POST" : "GET", api_path)) {
      return;
    }
    send_error(res, 404,
               "response '" + std::string(req.matches[1]) + "' is not stored: AutoSwarm translates the "
               "Responses API to the upstream's chat completions, which keep no responses; send the "
               "whole conversation in `input` (store: false)", "invalid_request_error", "response_not_found");
  };
  server.Get(R"(/v1/responses/([^/]+))", not_stored);
  server.Delete(R"(/v1/responses/([^/]+))", not_stored);
  server.Post(R"(/v1/responses/([^/]+)/cancel)", not_stored);
  server.Get(R"(/v1/responses/([^/]+)/input_items)", not_stored);
  server.Post("/v1/messages", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_exchange(s, req, res, &client_api::messages_api());
  });
  server.Post("/v1/messages/count_tokens", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_count_tokens(*s, req, res);
  });
  server.Get("/v1/models", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_models(*s, req, res);
  });
  server.Get(R"(/v1/models/(.+))", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_model_entry(*s, req, res);
  });
  server.Post("/v1/embeddings", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) relay_plain(*s, req, res, "/embeddings");
  });
  server.Post("/v1/completions", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) relay_plain(*s, req, res, "/completions");
  });
  add_ollama_routes(server, weak);
  server.Get("/health", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_health(*s, req, res);
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) {
      send_error_as(api_for_path(req.path), res, res.status, default_message(res.status), error_type_for(res.status));
    }
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    spdlog::error("{}", what);
    send_error_as(api_for_path(req.path), res, 500, what, "server_error");
  });
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    RequestNote& note = request_note();
    // A request cut before its headers were in (a header deadline, a malformed request line)
    // never reached the pre-routing handler: it has no note of its own.
    std::string ms = note.started == Clock::time_point{}
                         ? "-"
                         : fmt::format("{:.1f}ms", std::chrono::duration<double, std::milli>(
                                                       Clock::now() - note.started).count());
    spdlog::info("{} {} {} model={} tokens={}/{} {}", req.method.empty() ? "-" : req.method,
                 req.path.empty() ? "-" : req.path, res.status, note.model.empty() ? "-" : note.model,
                 note.usage.prompt_tokens, note.usage.completion_tokens, ms);
    note = RequestNote{};
  });

  // httplib listens with a backlog of 5, too few for a burst of clients connecting at once;
  // keep its socket to raise the backlog after bind. SO_REUSEADDR (httplib's default, which
  // set_socket_options replaces) lets a restarted proxy bind at once; a taken port still fails.
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  if (o.port == 0) {
    state_->port = server.bind_to_any_port(o.host);
    if (state_->port <= 0) throw Error("cannot listen on " + o.host + ": no free port");
  } else {
    if (!server.bind_to_port(o.host, o.port)) {
      throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                  " (address in use or not available); is another proxy running? "
                  "Try `autoswarm doctor`, or pass --port " + std::to_string(o.port + 1));
    }
    state_->port = o.port;
  }
  if (listen_fd >= 0) ::listen(listen_fd, kListenBacklog);
}

ProxyServer::~ProxyServer() { stop(); }

int ProxyServer::port() const { return state_->port; }

size_t ProxyServer::skill_count() { return state_->shared->skills->current()->book.skills.size(); }

void ProxyServer::run() {
  auto st = state_->shared;
  // listen_after_bind returns once stop() closed the socket and the workers finished their
  // current requests, and a worker relaying a stream is busy until the stream ends. So the
  // grace period runs beside it, from stop(): streams still running when it ends are cut.
  std::jthread grace_period([st] {
    std::unique_lock lock(st->streams_mu);
    st->streams_cv.wait(lock, [&] { return st->stop_requested; });
    if (!st->streams_cv.wait_for(lock, st->options.shutdown_grace, [&] { return st->active_streams == 0; })) {
      st->shutting_down = true;
    }
  });
  std::unique_lock lock(st->streams_mu);
  const bool stopped_already = st->stop_requested;
  lock.unlock();
  if (!stopped_already) st->server.listen_after_bind();
  lock.lock();
  st->stop_requested = true;  // also when listening ended without stop()
  st->streams_cv.notify_all();
  lock.unlock();
  grace_period.join();
  // A cut stream's upstream thread still writes its log record.
  lock.lock();
  st->streams_cv.wait_for(lock, st->options.shutdown_grace, [&] { return st->active_streams == 0; });
  lock.unlock();
  if (st->log) st->log->flush();
}

void ProxyServer::stop() {
  auto st = state_->shared;
  {
    std::lock_guard lock(st->streams_mu);
    st->stop_requested = true;
  }
  st->streams_cv.notify_all();
  st->server.stop_listening();  // also before run(): run() then returns at once
}

}  // namespace autoswarm::proxy
