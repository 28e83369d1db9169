// Ollama's own API on the proxy, for the clients that speak only it (the ollama libraries, Open
// WebUI's Ollama connection, Continue/Cline with provider: ollama). /api/chat and /api/generate
// go through the one exchange pipeline like every chat (passed through to an Ollama upstream's
// own routes, translated for any other: native_relay.cpp); the routes a client calls before it
// chats are answered from the upstream: relayed from an Ollama upstream's own /api/tags, /api/ps
// and /api/version, and otherwise translated from its OpenAI /v1/models and /v1/embeddings.
#include "ollama_routes.h"

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/client_api/ollama_models.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/util/json.h"

namespace autoswarm::proxy {
namespace {

// The Ollama API version whose routes and shapes the proxy answers with when its upstream is
// not Ollama (clients compare it to enable features; 0.13 added /v1/responses and tool ids).
constexpr const char* kOllamaApiVersion = "0.13.5";

const client_api::ClientApi& ollama() { return client_api::ollama_chat_api(); }

void send_ollama_error(httplib::Response& res, int status, const std::string& message) {
  send_error_as(&ollama(), res, status, message, "");
}

bool upstream_is_ollama(const ProxyState& st) { return st.options.upstream.kind == llm::ServerKind::kOllama; }

// The upstream's model list (GET /v1/models), or an error already sent.
std::optional<json> model_list(ProxyState& st, httplib::Response& res) {
  try {
    llm::HttpReply reply = st.client->get_api("/models");
    if (reply.status != 200) {
      send_upstream_error_as(&ollama(), res, reply);
      return std::nullopt;
    }
    st.remember_models(reply.body);
    return util::try_parse_json(reply.body);
  } catch (const llm::LlmError& e) {
    send_upstream_failure(st, &ollama(), res, e);
    return std::nullopt;
  }
}

// GET /api/tags, /api/ps: relayed from an Ollama upstream (sizes, digests, quantization),
// translated from /v1/models otherwise.
void handle_model_listing(ProxyState& st, const httplib::Request& req, httplib::Response& res) {
  if (upstream_is_ollama(st)) {
    try {
      llm::HttpReply reply = st.client->get(req.path);
      if (reply.status == 200) {
        res.set_content(reply.body, "application/json");
        return;
      }
    } catch (const llm::LlmError&) {
      // an Ollama that does not answer its own route: the OpenAI listing below says why
    }
  }
  std::optional<json> list = model_list(st, res);
  if (!list) return;
  const json out = req.path == "/api/ps" ? client_api::ollama_ps(*list) : client_api::ollama_tags(*list);
  res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void handle_version(ProxyState& st, httplib::Response& res) {
  if (upstream_is_ollama(st)) {
    try {
      llm::HttpReply reply = st.client->get("/api/version");
      if (reply.status == 200) return res.set_content(reply.body, "application/json");
    } catch (const llm::LlmError&) {
    }
  }
  res.set_content(json{{"version", kOllamaApiVersion}}.dump(), "application/json");
}

std::optional<json> read_object(const httplib::Request& req, httplib::Response& res) {
  std::string why;
  json body = util::try_parse_json(req.body, &why);
  if (body.is_discarded() || !body.is_object()) {
    send_ollama_error(res, 400, "the request body is not a valid JSON object" + (why.empty() ? "" : ": " + why));
    return std::nullopt;
  }
  return body;
}

// POST /api/show {"model"}: one model's details, or Ollama's 404 for a model not served.
void handle_show(ProxyState& st, const httplib::Request& req, httplib::Response& res) {
  std::optional<json> body = read_object(req, res);
  if (!body) return;
  std::string model = util::string_field(*body, "model");
  if (model.empty()) model = util::string_field(*body, "name");  // the older field
  if (model.empty()) return send_ollama_error(res, 400, "model is required: send {\"model\": \"<name>\"}");
  std::optional<json> list = model_list(st, res);
  if (!list) return;
  std::optional<json> shown = client_api::ollama_show(*list, st.alias_target(model));
  if (!shown) return send_ollama_error(res, 404, "model '" + model + "' not found");
  res.set_content(shown->dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// POST /api/embed and /api/embeddings, as /v1/embeddings.
void handle_embed(ProxyState& st, const httplib::Request& req, httplib::Response& res, bool legacy) {
  std::optional<json> body = read_object(req, res);
  if (!body) return;
  std::string problem;
  std::optional<json> request = client_api::openai_embeddings_request_from_ollama(*body, legacy, &problem);
  if (!request) return send_ollama_error(res, 400, problem);
  (*request)["model"] = st.model_for(util::string_field(*request, "model"));
  request_note().model = util::string_field(*request, "model");
  try {
    llm::HttpReply reply = st.client->post("/embeddings", request->dump(-1, ' ', false, json::error_handler_t::replace));
    if (reply.status < 200 || reply.status >= 300) return send_upstream_error_as(&ollama(), res, reply);
    const json openai = util::try_parse_json(reply.body);
    if (!openai.is_object()) return send_ollama_error(res, 502, "the upstream's embeddings reply is not JSON");
    const json out = legacy ? client_api::ollama_embedding_from_openai(openai) : client_api::ollama_embed_from_openai(openai);
    res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  } catch (const llm::LlmError& e) {
    send_upstream_failure(st, &ollama(), res, e);
  }
}

// A browser asks for text/html; an Ollama client's health check (the ollama libraries, Open
// WebUI) asks for anything else. The browser's "/" is kept for a status page.
bool wants_ollama_root(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/html") == std::string::npos;
}

}  // namespace

void add_ollama_routes(GatedServer& server, const std::weak_ptr<ProxyState>& weak) {
  server.Post("/api/chat", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_exchange(s, req, res, &client_api::ollama_chat_api());
  });
  server.Post("/api/generate", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_exchange(s, req, res, &client_api::ollama_generate_api());
  });
  for (const char* path : {"/api/tags", "/api/ps"}) {
    server.Get(path, [weak](const httplib::Request& req, httplib::Response& res) {
      if (auto s = weak.lock()) handle_model_listing(*s, req, res);
    });
  }
  server.Get("/api/version", [weak](const httplib::Request&, httplib::Response& res) {
    if (auto s = weak.lock()) handle_version(*s, res);
  });
  server.Post("/api/show", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_show(*s, req, res);
  });
  server.Post("/api/embed", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_embed(*s, req, res, false);
  });
  server.Post("/api/embeddings", [weak](const httplib::Request& req, httplib::Response& res) {
    if (auto s = weak.lock()) handle_embed(*s, req, res, true);
  });
  // GET / and HEAD / (httplib answers HEAD with the GET handler, without the body).
  server.Get("/", [](const httplib::Request& req, httplib::Response& res) {
    if (!wants_ollama_root(req)) {
      return send_error(res, 404, "AutoSwarm is running but has no web page: set your client's base URL "
                                  "to this address plus /v1 (OpenAI and Anthropic clients) or to this "
                                  "address (Ollama clients)", "not_found_error");
    }
    res.set_content("Ollama is running", "text/plain; charset=utf-8");
  });
}

}  // namespace autoswarm::proxy
