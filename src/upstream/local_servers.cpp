#include "autoswarm/upstream/local_servers.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <future>

#include <nlohmann/json.hpp>

#include "autoswarm/llm/client.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/llm/model_list.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/loopback.h"

namespace autoswarm::upstream {
namespace {

using llm::ServerKind;
using nlohmann::json;

constexpr const char* kLmStudioDefault = "http://127.0.0.1:1234";
constexpr const char* kOllamaDefault = "http://127.0.0.1:11434";
constexpr const char* kVllmDefault = "http://127.0.0.1:8000";
constexpr const char* kSuggestedLmStudioModel = "qwen2.5-7b-instruct";
constexpr const char* kSuggestedOllamaModel = "llama3.2";

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Never let a key reach a message the user (or a log) sees, even if an upstream echoes it.
std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// LM Studio model types that can chat; a missing type is taken as a chat model.
bool is_chat_type(const std::string& type) { return type.empty() || type == "llm" || type == "vlm"; }

// The server answered, but an endpoint it should have did not work as expected.
struct EndpointFailure {
  int status = 0;
  std::string path;
};

// Probing one server: one client, and the bookkeeping every server kind shares.
class Probe {
 public:
  Probe(ServerKind kind, const llm::BaseUrl& url, const std::string& api_key,
        std::chrono::milliseconds timeout)
      : api_key_(api_key), client_(client_options(url, api_key, timeout)) {
    status_.kind = kind;
    status_.url = url;
  }

  ServerStatus& status() { return status_; }
  const std::string& api_key() const { return api_key_; }

  // GET a server path; nothing when the server is unreachable (recorded in the status).
  std::optional<llm::HttpReply> get(const std::string& path) {
    try {
      llm::HttpReply reply = client_.get(path);
      status_.reachable = true;
      return reply;
    } catch (const llm::LlmError& e) {
      status_.reachable = false;
      status_.error = redact(e.what(), api_key_);
      return std::nullopt;
    }
  }

  // A 2xx JSON object from `path`; nothing otherwise (a 401/403 is recorded as a refused key).
  std::optional<json> get_json(const std::string& path) {
    auto reply = get(path);
    if (!reply) return std::nullopt;
    last_status_ = reply->status;
    if (reply->status == 401 || reply->status == 403) {
      key_refused(reply->status, reply->body);
      return std::nullopt;
    }
    if (reply->status < 200 || reply->status >= 300) return std::nullopt;
    json j = util::try_parse_json(reply->body);
    if (!j.is_object()) return std::nullopt;
    return j;
  }

  int last_status() const { return last_status_; }
  bool refused() const { return refused_; }

  void key_refused(int status, const std::string& body) {
    refused_ = true;
    status_.wants_key = true;
    std::string said = llm::parse_error_body(body).message;
    status_.error = status_.url.str() +
                    (api_key_.empty() ? " requires an API key" : " refused the API key") +
                    " (HTTP " + std::to_string(status) + (said.empty() ? "" : ": " + said) + ")";
    status_.error = redact(status_.error, api_key_);
    status_.fixes = {"export OPENAI_API_KEY=<key>"};
    status_.hints = {"or pass --api-key <key> (the environment variable keeps it out of ps)"};
  }

  void not_like(const std::string& what, const std::string& path) {
    const bool ok = last_status_ >= 200 && last_status_ < 300;
    status_.error = status_.url.origin() + " answers, but not like " + what + " (GET " + path +
                    (ok ? " gave an unexpected reply)" : " gave HTTP " + std::to_string(last_status_) + ")");
  }

 private:
  static llm::ClientOptions client_options(const llm::BaseUrl& url, const std::string& api_key,
                                           std::chrono::milliseconds timeout) {
    llm::ClientOptions o;
    o.base_url = url;
    o.api_key = api_key;
    o.connect_timeout = timeout;
    o.read_timeout = timeout;
    o.max_retries = 0;
    return o;
  }

  std::string api_key_;
  llm::Client client_;
  ServerStatus status_;
  int last_status_ = 0;
  bool refused_ = false;
};

// The ids of an OpenAI-style {"data":[{"id"}]} list; none when it is not one.
std::vector<std::string> openai_model_ids(const json& listing) {
  return llm::model_ids(llm::read_model_list(listing).value_or(std::vector<llm::ModelInfo>{}));
}

// LM Studio 0.4+: {"models":[{"type","key","loaded_instances":[{"id"}]}]}.
bool read_lmstudio_v1(const json& j, ServerStatus& s) {
  if (!j.contains("models") || !j["models"].is_array()) return false;
  for (const auto& m : j["models"]) {
    std::string key = util::string_field(m, "key");
    if (key.empty() || !is_chat_type(util::string_field(m, "type"))) continue;
    s.models.push_back(key);
    const json instances = m.value("loaded_instances", json::array());
    if (!instances.is_array()) continue;
    for (const auto& instance : instances) {
      std::string id = util::string_field(instance, "id");
      s.loaded.push_back(id.empty() ? key : id);
    }
  }
  return true;
}

// LM Studio 0.3.6+: {"data":[{"id","type","state":"loaded"|"not-loaded"}]}.
bool read_lmstudio_v0(const json& j, ServerStatus& s) {
  if (!j.contains("data") || !j["data"].is_array()) return false;
  for (const auto& m : j["data"]) {
    std::string id = util::string_field(m, "id");
    if (id.empty() || !is_chat_type(util::string_field(m, "type"))) continue;
    s.models.push_back(id);
    if (util::string_field(m, "state") == "loaded") s.loaded.push_back(id);
  }
  return true;
}

void probe_lmstudio(Probe& p) {
  ServerStatus& s = p.status();
  auto j = p.get_json("/api/v1/models");
  if (s.reachable && !p.refused() && !(j && read_lmstudio_v1(*j, s))) {
    j = p.get_json("/api/v0/models");
    if (s.reachable && !p.refused() && !(j && read_lmstudio_v0(*j, s))) {
      j = p.get_json("/v1/models");
      if (j && j->contains("data")) {
        s.loaded_known = false;
        for (auto& id : openai_model_ids(*j)) {
          if (id.find("embed") == std::string::npos) s.models.push_back(id);
        }
      } else if (s.reachable && !p.refused()) {
        p.not_like("LM Studio", "/v1/models");
        return;
      }
    }
  }
  if (p.refused()) return;
  if (!s.reachable) {
    s.fixes = {"lms server start"};
    s.hints = {"if the lms command is missing: npx lmstudio install-cli"};
  } else if (s.models.empty()) {
    s.error = "no chat model is downloaded";
    s.fixes = {std::string("lms get ") + kSuggestedLmStudioModel};
  } else if (s.loaded_known && s.loaded.empty()) {
    s.error = "no model is loaded (" + std::to_string(s.models.size()) + " downloaded)";
    s.fixes = {"lms load " + s.models.front()};
  }
}

void probe_ollama(Probe& p) {
  ServerStatus& s = p.status();
  auto version = p.get_json("/api/version");
  if (!s.reachable) {
    s.fixes = {"ollama serve"};
    s.hints = {"or, where Ollama runs as a service: sudo systemctl start ollama"};
    return;
  }
  if (version) s.version = util::string_field(*version, "version");
  auto tags = p.get_json("/api/tags");
  if (p.refused()) return;
  if (!tags) {
    if (s.reachable) p.not_like("Ollama", "/api/tags");
    return;
  }
  auto names = [](const json& listing) {
    std::vector<std::string> out;
    const json models = listing.value("models", json());
    if (!models.is_array()) return out;  // null on some versions when nothing is there
    for (const auto& m : models) {
      std::string name = util::string_field(m, "name");
      if (name.empty()) name = util::string_field(m, "model");
      if (!name.empty()) out.push_back(name);
    }
    return out;
  };
  s.models = names(*tags);
  if (auto ps = p.get_json("/api/ps")) s.loaded = names(*ps);
  if (!s.reachable) return;  // /api/ps timed out: the error says so
  if (s.models.empty()) {
    s.error = "no model is installed";
    s.fixes = {std::string("ollama pull ") + kSuggestedOllamaModel};
  }
}

void probe_vllm(Probe& p) {
  ServerStatus& s = p.status();
  const std::string serve = "vllm serve <model> --port " + std::to_string(s.url.port);
  auto health = p.get("/health");
  if (!health) {
    s.fixes = {serve};
    s.hints = {"vLLM listens only once its model has loaded: if it is starting, wait and retry"};
    return;
  }
  const bool dead = health->status == 503;
  auto listing = p.get_json("/v1/models");
  if (p.refused()) return;
  std::vector<std::string> served = listing ? openai_model_ids(*listing) : std::vector<std::string>{};
  if (dead) {
    s.models = served;
    s.error = "the vLLM engine is not healthy (GET /health gave HTTP 503)";
    s.fixes = {"vllm serve " + (served.empty() ? std::string("<model>") : served.front()) +
               " --port " + std::to_string(s.url.port)};
    s.hints = {"stop the old vllm process first; its log says why the engine died"};
    return;
  }
  if (!listing) {
    if (s.reachable) p.not_like("vLLM", "/v1/models");
    return;
  }
  s.models = served;
  s.loaded = served;
  if (auto version = p.get_json("/version")) s.version = util::string_field(*version, "version");
  if (s.models.empty()) {
    s.error = "serves no model";
    s.fixes = {serve};
  }
}

void probe_custom(Probe& p) {
  ServerStatus& s = p.status();
  auto listing = p.get_json("/v1/models");
  if (!s.reachable) {
    s.hints = {"check the --upstream URL and that the server there is running"};
    return;
  }
  if (p.refused()) return;
  if (!listing || !listing->contains("data")) {
    p.not_like("an OpenAI-compatible API", "/v1/models");
    s.hints = {"the URL should be the API base, e.g. http://127.0.0.1:11434/v1"};
    return;
  }
  s.models = openai_model_ids(*listing);
}

llm::BaseUrl url_from_env(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') return llm::BaseUrl::parse(fallback);
  try {
    return llm::BaseUrl::parse(value);
  } catch (const UsageError& e) {
    throw UsageError(std::string(variable) + ": " + e.what());
  }
}

llm::BaseUrl ollama_url() {
  const char* own = std::getenv("AUTOSWARM_OLLAMA_URL");
  const char* host = std::getenv("OLLAMA_HOST");
  if ((own == nullptr || *own == '\0') && host != nullptr && *host != '\0') {
    if (auto url = parse_ollama_host(host)) return *url;
    spdlog::debug("ignoring OLLAMA_HOST={}: not a loopback address (set AUTOSWARM_OLLAMA_URL "
                  "to probe another host)", host);
  }
  return url_from_env("AUTOSWARM_OLLAMA_URL", kOllamaDefault);
}

}  // namespace

bool ServerStatus::usable() const {
  if (!reachable) return false;
  switch (kind) {
    case ServerKind::kLmStudio: return !loaded.empty() || (!loaded_known && !models.empty());
    case ServerKind::kOllama: return !models.empty();
    case ServerKind::kVllm: return !loaded.empty();
    case ServerKind::kCustom:
      return error.empty() && (!models.empty() || !requested_model.empty());
  }
  return false;
}

std::string ServerStatus::default_model() const {
  if (!loaded.empty()) return loaded.front();
  if (!models.empty()) return models.front();
  return requested_model;
}

UpstreamOptions UpstreamOptions::from_environment() {
  UpstreamOptions o;
  if (const char* key = std::getenv("OPENAI_API_KEY"); key != nullptr) o.api_key = key;
  o.local_servers = {
      {ServerKind::kLmStudio, url_from_env("AUTOSWARM_LMSTUDIO_URL", kLmStudioDefault)},
      {ServerKind::kOllama, ollama_url()},
      {ServerKind::kVllm, url_from_env("AUTOSWARM_VLLM_URL", kVllmDefault)},
  };
  return o;
}

std::optional<llm::BaseUrl> parse_ollama_host(std::string_view value) {
  std::string text(value);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.find("://") == std::string::npos) {
    // host[:port][/path] without a scheme; a bare IPv6 address has several colons.
    std::string authority = text.substr(0, text.find('/'));
    std::string path = text.substr(authority.size());
    std::string host = authority, port = "11434";
    if (authority.starts_with("[")) {
      size_t close = authority.find(']');
      host = authority.substr(0, close == std::string::npos ? close : close + 1);
      if (close != std::string::npos && authority.size() > close + 2 && authority[close + 1] == ':') {
        port = authority.substr(close + 2);
      }
    } else if (std::count(authority.begin(), authority.end(), ':') == 1) {
      size_t colon = authority.find(':');
      host = authority.substr(0, colon);
      if (colon + 1 < authority.size()) port = authority.substr(colon + 1);
    } else if (authority.find(':') != std::string::npos) {
      host = "[" + authority + "]";
    }
    if (host.empty()) host = "127.0.0.1";
    text = "http://" + host + ":" + port + path;
  }
  llm::BaseUrl url;
  try {
    url = llm::BaseUrl::parse(text);
  } catch (const UsageError&) {
    return std::nullopt;
  }
  if (url.host == "0.0.0.0" || url.host == "::") url.host = "127.0.0.1";
  if (!util::is_loopback_host(url.host)) return std::nullopt;
  return url;
}

ServerStatus probe_server(ServerKind kind, const llm::BaseUrl& url, const std::string& api_key,
                          std::chrono::milliseconds timeout) {
  try {
    Probe probe(kind, url, api_key, timeout);
    switch (kind) {
      case ServerKind::kLmStudio: probe_lmstudio(probe); break;
      case ServerKind::kOllama: probe_ollama(probe); break;
      case ServerKind::kVllm: probe_vllm(probe); break;
      case ServerKind::kCustom: probe_custom(probe); break;
    }
    spdlog::debug("{} at {}: reachable={} models={} loaded={}", display_name(kind), url.str(),
                  probe.status().reachable, probe.status().models.size(),
                  probe.status().loaded.size());
    return std::move(probe.status());
  } catch (const std::exception& e) {  // a bug or an allocation failure: still never throw
    ServerStatus s;
    s.kind = kind;
    s.url = url;
    s.error = redact(std::string("probe failed: ") + e.what(), api_key);
    return s;
  }
}

std::vector<ServerStatus> probe_local_servers(const UpstreamOptions& options) {
  std::vector<std::future<ServerStatus>> pending;
  for (const auto& [kind, url] : options.local_servers) {
    pending.push_back(std::async(std::launch::async, [&options, kind = kind, url = url] {
      ServerStatus s = probe_server(kind, url, "", options.probe_timeout);
      if (!s.wants_key || options.api_key.empty()) return s;
      s = probe_server(kind, url, options.api_key, options.probe_timeout);
      s.wants_key = true;
      s.key_sent = true;
      s.hints.push_back("it asked for an API key, so OPENAI_API_KEY was sent to it after a probe "
                        "without one; detected servers get no key otherwise");
      return s;
    }));
  }
  std::vector<ServerStatus> found;
  for (auto& f : pending) found.push_back(f.get());
  return found;
}

std::optional<llm::Endpoint> choose_upstream(const UpstreamOptions& options,
                                         std::vector<ServerStatus>* findings) {
  std::vector<ServerStatus> found;
  if (options.upstream_url) {
    llm::BaseUrl url = llm::BaseUrl::parse(*options.upstream_url);
    ServerStatus s = probe_server(ServerKind::kCustom, url, options.api_key, options.probe_timeout);
    s.requested_model = options.model.value_or("");
    if (s.reachable && s.error.empty() && s.models.empty() && !options.model) {
      s.error = "lists no models, so there is no model to pick";
      s.hints = {"name the model with --model NAME"};
    }
    found.push_back(std::move(s));
  } else {
    found = probe_local_servers(options);
  }

  const ServerStatus* pick = nullptr;
  if (options.model) {
    for (const auto& s : found) {
      if (s.usable() && (contains(s.models, *options.model) || contains(s.loaded, *options.model))) {
        pick = &s;
        break;
      }
    }
  }
  for (const auto& s : found) {
    if (pick == nullptr && s.usable()) pick = &s;
  }

  std::optional<llm::Endpoint> selection;
  if (pick != nullptr) {
    const bool named = options.upstream_url.has_value();
    selection = llm::Endpoint{.kind = pick->kind,
                              .url = pick->url,
                              .key = named || pick->key_sent ? options.api_key : "",
                              .model = options.model.value_or(pick->default_model())};
  }
  if (findings != nullptr) *findings = std::move(found);
  return selection;
}

}  // namespace autoswarm::upstream
