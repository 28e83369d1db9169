// The fake upstream LLM server: routes, flavor-specific shapes, the YAML script and the
// streaming / fault machinery. See fake_upstream.h and docs/fake_llm.md.
#include "support/fake_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/stream_assembler.h"
#include "autoswarm/util/loopback.h"
#include "autoswarm/util/yaml_json.h"

namespace autoswarm::testing {

namespace {

// Responses keep keys in insertion order, like the real servers ("id" first).
using json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// The script model

struct ToolCallSpec {
  std::string name;
  std::string arguments;  // JSON text (or deliberately invalid text)
  std::string id;         // empty: "call_<n>"
};

struct UsageSpec {
  std::optional<long long> prompt_tokens;
  std::optional<long long> completion_tokens;
  std::optional<long long> total_tokens;
  std::optional<long long> cached_tokens;
};

struct ReplySpec {
  std::optional<std::string> content;  // unset: the default reply (when no tool calls)
  std::vector<ToolCallSpec> tool_calls;
  std::string finish_reason;  // empty: "tool_calls" or "stop"
  std::optional<UsageSpec> usage;
};

struct StreamSpec {
  std::size_t chunk_size = 4;
  std::optional<bool> fragmented;  // unset: whole for ollama, fragmented otherwise
  bool crlf = false;
  bool comments = false;
};

struct FaultSpec {
  int status = 0;
  std::optional<std::string> body;
  bool malformed_json = false;
  bool cut_body = false;
  std::optional<std::string> retry_after;
  long long cut_after_events = -1;
  long long error_event_after = -1;
  int first_byte_delay_ms = 0;
  int chunk_delay_ms = 0;
  long long huge_content_bytes = 0;  // the reply's content is this many 'x', made as it is sent
};

struct MatchSpec {
  std::optional<std::string> role;
  std::optional<std::regex> content;
  std::optional<std::regex> system;
  std::optional<std::string> model;
  std::optional<bool> stream;
};

struct Rule {
  MatchSpec match;
  std::optional<long long> times;
  long long used = 0;
  bool has_reply = false;
  ReplySpec reply;
  StreamSpec stream;
  FaultSpec fault;
};

struct Script {
  std::vector<Rule> rules;
  std::string default_reply = "echo";
};

// What the request looks like, for matching.
struct ChatContext {
  std::string last_role;
  std::string last_content;
  std::string system;
  std::string last_user_content;
  std::string model;  // as requested (may be empty)
  bool stream = false;
  std::size_t prompt_chars = 0;
};

// The resolved answer to one chat request.
struct Plan {
  ReplySpec reply;
  StreamSpec stream;
  FaultSpec fault;
};

// ---------------------------------------------------------------------------------------------
// YAML helpers

[[noreturn]] void script_error(const std::string& where, const std::string& what) {
  throw std::runtime_error("fake upstream script: " + where + ": " + what);
}

void check_keys(const YAML::Node& node, const std::string& where,
                const std::set<std::string>& allowed) {
  if (!node.IsMap()) script_error(where, "expected a map");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      script_error(where, "unknown key '" + key + "' (expected one of: " + list + ")");
    }
  }
}

template <typename T>
T get_as(const YAML::Node& node, const std::string& where, const char* expected) {
  if (!node.IsScalar()) script_error(where, std::string("expected ") + expected);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    script_error(where, std::string("expected ") + expected + ", got '" + node.Scalar() + "'");
  }
}

std::string get_string(const YAML::Node& node, const std::string& where) {
  return get_as<std::string>(node, where, "a string");
}

long long get_int(const YAML::Node& node, const std::string& where, long long min_value) {
  const auto v = get_as<long long>(node, where, "an integer");
  if (v < min_value) script_error(where, "must be >= " + std::to_string(min_value));
  return v;
}

bool get_bool(const YAML::Node& node, const std::string& where) {
  return get_as<bool>(node, where, "true or false");
}

std::regex get_regex(const YAML::Node& node, const std::string& where) {
  const auto text = get_string(node, where);
  try {
    return std::regex(text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    script_error(where, "invalid regex '" + text + "': " + e.what());
  }
}

using util::yaml_to_json;

UsageSpec parse_usage(const YAML::Node& node, const std::string& where) {
  check_keys(node, where, {"prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"});
  UsageSpec u;
  if (node["prompt_tokens"]) u.prompt_tokens = get_int(node["prompt_tokens"], where + ".prompt_tokens", 0);
  if (node["completion_tokens"])
    u.completion_tokens = get_int(node["completion_tokens"], where + ".completion_tokens", 0);
  if (node["total_tokens"]) u.total_tokens = get_int(node["total_tokens"], where + ".total_tokens", 0);
  if (node["cached_tokens"]) u.cached_tokens = get_int(node["cached_tokens"], where + ".cached_tokens", 0);
  return u;
}

ReplySpec parse_reply(const YAML::Node& node, const std::string& where) {
  check_keys(node, where, {"content", "tool_calls", "finish_reason", "usage"});
  ReplySpec r;
  if (node["content"]) {
    r.content = node["content"].IsNull() ? std::string() : get_string(node["content"], where + ".content");
  }
  if (const auto calls = node["tool_calls"]) {
    if (!calls.IsSequence()) script_error(where + ".tool_calls", "expected a list");
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const auto w = where + ".tool_calls[" + std::to_string(i) + "]";
      const auto c = calls[i];
      check_keys(c, w, {"name", "arguments", "id"});
      ToolCallSpec t;
      if (!c["name"]) script_error(w, "missing 'name'");
      t.name = get_string(c["name"], w + ".name");
      if (const auto args = c["arguments"]) {
        if (args.IsScalar()) {
          t.arguments = args.Scalar();  // verbatim, possibly invalid JSON on purpose
        } else if (args.IsNull()) {
          t.arguments = "{}";
        } else {
          t.arguments = yaml_to_json(args).dump();
        }
      } else {
        t.arguments = "{}";
      }
      if (c["id"]) t.id = get_string(c["id"], w + ".id");
      r.tool_calls.push_back(std::move(t));
    }
  }
  if (node["finish_reason"]) r.finish_reason = get_string(node["finish_reason"], where + ".finish_reason");
  if (node["usage"]) r.usage = parse_usage(node["usage"], where + ".usage");
  return r;
}

StreamSpec parse_stream(const YAML::Node& node, const std::string& where) {
  check_keys(node, where, {"chunk_size", "tool_calls", "crlf", "comments"});
  StreamSpec s;
  if (node["chunk_size"]) s.chunk_size = static_cast<std::size_t>(get_int(node["chunk_size"], where + ".chunk_size", 1));
  if (node["tool_calls"]) {
    const auto mode = get_string(node["tool_calls"], where + ".tool_calls");
    if (mode == "fragmented") {
      s.fragmented = true;
    } else if (mode == "whole") {
      s.fragmented = false;
    } else {
      script_error(where + ".tool_calls", "expected 'fragmented' or 'whole', got '" + mode + "'");
    }
  }
  if (node["crlf"]) s.crlf = get_bool(node["crlf"], where + ".crlf");
  if (node["comments"]) s.comments = get_bool(node["comments"], where + ".comments");
  return s;
}

FaultSpec parse_fault(const YAML::Node& node, const std::string& where) {
  check_keys(node, where, {"status", "body", "malformed_json", "cut_body", "retry_after", "cut_after_events",
                           "error_event_after", "first_byte_delay_ms", "chunk_delay_ms", "huge_content_bytes"});
  FaultSpec f;
  if (node["status"]) {
    f.status = static_cast<int>(get_int(node["status"], where + ".status", 100));
    if (f.status > 599) script_error(where + ".status", "must be an HTTP status (100-599)");
  }
  if (node["body"]) f.body = get_string(node["body"], where + ".body");
  if (node["malformed_json"]) f.malformed_json = get_bool(node["malformed_json"], where + ".malformed_json");
  if (node["cut_body"]) f.cut_body = get_bool(node["cut_body"], where + ".cut_body");
  if (node["retry_after"]) f.retry_after = get_string(node["retry_after"], where + ".retry_after");
  if (node["cut_after_events"]) f.cut_after_events = get_int(node["cut_after_events"], where + ".cut_after_events", 0);
  if (node["error_event_after"])
    f.error_event_after = get_int(node["error_event_after"], where + ".error_event_after", 0);
  if (node["first_byte_delay_ms"])
    f.first_byte_delay_ms = static_cast<int>(get_int(node["first_byte_delay_ms"], where + ".first_byte_delay_ms", 0));
  if (node["chunk_delay_ms"])
    f.chunk_delay_ms = static_cast<int>(get_int(node["chunk_delay_ms"], where + ".chunk_delay_ms", 0));
  if (node["huge_content_bytes"])
    f.huge_content_bytes = get_int(node["huge_content_bytes"], where + ".huge_content_bytes", 1);
  if (f.body && f.status == 0) script_error(where + ".body", "needs 'status'");
  if (f.retry_after && f.status == 0) script_error(where + ".retry_after", "needs 'status'");
  return f;
}

MatchSpec parse_match(const YAML::Node& node, const std::string& where) {
  if (node.IsNull()) return {};
  check_keys(node, where, {"role", "content", "system", "model", "stream"});
  MatchSpec m;
  if (node["role"]) m.role = get_string(node["role"], where + ".role");
  if (node["content"]) m.content = get_regex(node["content"], where + ".content");
  if (node["system"]) m.system = get_regex(node["system"], where + ".system");
  if (node["model"]) m.model = get_string(node["model"], where + ".model");
  if (node["stream"]) m.stream = get_bool(node["stream"], where + ".stream");
  return m;
}

Script parse_script(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("fake upstream script: invalid YAML: ") + e.what());
  }
  Script script;
  if (root.IsNull() || !root.IsDefined()) return script;
  check_keys(root, "top level", {"rules", "default_reply"});
  if (root["default_reply"]) script.default_reply = get_string(root["default_reply"], "default_reply");
  if (const auto rules = root["rules"]) {
    if (rules.IsNull()) return script;
    if (!rules.IsSequence()) script_error("rules", "expected a list");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const auto where = "rules[" + std::to_string(i) + "]";
      const auto node = rules[i];
      check_keys(node, where, {"match", "times", "reply", "stream", "fault"});
      Rule rule;
      if (node["match"]) rule.match = parse_match(node["match"], where + ".match");
      if (node["times"]) rule.times = get_int(node["times"], where + ".times", 0);
      if (node["reply"] && !node["reply"].IsNull()) {
        rule.has_reply = true;
        rule.reply = parse_reply(node["reply"], where + ".reply");
      }
      if (node["stream"] && !node["stream"].IsNull()) rule.stream = parse_stream(node["stream"], where + ".stream");
      if (node["fault"] && !node["fault"].IsNull()) rule.fault = parse_fault(node["fault"], where + ".fault");
      script.rules.push_back(std::move(rule));
    }
  }
  return script;
}

bool rule_matches(const Rule& rule, const ChatContext& ctx) {
  if (rule.times && rule.used >= *rule.times) return false;
  const auto& m = rule.match;
  if (m.role && *m.role != ctx.last_role) return false;
  if (m.content && !std::regex_search(ctx.last_content, *m.content)) return false;
  if (m.system && !std::regex_search(ctx.system, *m.system)) return false;
  if (m.model && *m.model != ctx.model) return false;
  if (m.stream && *m.stream != ctx.stream) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Request helpers

// The text of a message's content: a string as is, an array's text parts joined by "\n".
std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {
    std::string out;
    bool first = true;
    for (const auto& part : content) {
      std::string text;
      if (part.is_string()) {
        text = part.get<std::string>();
      } else if (part.is_object() && part.contains("text") && part["text"].is_string()) {
        text = part["text"].get<std::string>();
      } else {
        continue;
      }
      if (!first) out += "\n";
      out += text;
      first = false;
    }
    return out;
  }
  return {};
}

ChatContext chat_context(const json& body) {
  ChatContext ctx;
  if (body.contains("model") && body["model"].is_string()) ctx.model = body["model"].get<std::string>();
  if (body.contains("stream") && body["stream"].is_boolean()) ctx.stream = body["stream"].get<bool>();
  bool have_system = false;
  for (const auto& msg : body["messages"]) {
    if (!msg.is_object()) continue;
    const std::string role = msg.contains("role") && msg["role"].is_string() ? msg["role"].get<std::string>() : "";
    const std::string text = msg.contains("content") ? content_text(msg["content"]) : "";
    ctx.prompt_chars += text.size();
    if (role == "system" && !have_system) {
      ctx.system = text;
      have_system = true;
    }
    if (role == "user") ctx.last_user_content = text;
    ctx.last_role = role;
    ctx.last_content = text;
  }
  return ctx;
}

long long approx_tokens(std::size_t chars) { return std::max<long long>(1, static_cast<long long>((chars + 3) / 4)); }

json error_json(const std::string& message, const std::string& type, json param, json code) {
  return {{"error", {{"message", message}, {"type", type}, {"param", std::move(param)}, {"code", std::move(code)}}}};
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// UTF-8 aware split into pieces of at most `n` code points (never splits a sequence).
std::vector<std::string> split_chars(const std::string& s, std::size_t n) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    for (std::size_t count = 0; count < n && j < s.size(); ++count) {
      ++j;
      while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    }
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string fake_digest(const std::string& id) {
  std::string out;
  for (int i = 0; out.size() < 64; ++i) {
    std::ostringstream os;
    os << std::hex << std::hash<std::string>{}(id + "#" + std::to_string(i));
    auto part = os.str();
    part.insert(0, 16 - std::min<std::size_t>(16, part.size()), '0');
    out += part;
  }
  return out.substr(0, 64);
}

long long now_unix() { return static_cast<long long>(std::time(nullptr)); }

// Drops the ":latest" tag the way Ollama treats "llama3" and "llama3:latest" as one model.
std::string ollama_base(const std::string& name) {
  static const std::string suffix = ":latest";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// Shuts down (without closing: the server still owns the descriptors) every accepted TCP
// connection whose local port is `port`, so keep-alive threads waiting on idle clients wake
// up at once instead of after the keep-alive timeout.
void shutdown_accepted_connections(int port) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  const std::filesystem::directory_iterator end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    char* parse_end = nullptr;
    const long fd_long = std::strtol(name.c_str(), &parse_end, 10);
    if (parse_end == name.c_str() || *parse_end != '\0') continue;
    const int fd = static_cast<int>(fd_long);
    int type = 0;
    socklen_t type_len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    int local_port = -1;
    if (local.ss_family == AF_INET) {
      local_port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
    } else if (local.ss_family == AF_INET6) {
      local_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
    }
    if (local_port != port) continue;
    sockaddr_storage peer{};
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;  // a listener
    ::shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Public helpers

Flavor parse_flavor(const std::string& name) {
  if (name == "openai") return Flavor::kOpenAI;
  if (name == "lmstudio") return Flavor::kLmStudio;
  if (name == "ollama") return Flavor::kOllama;
  if (name == "vllm") return Flavor::kVllm;
  throw std::invalid_argument("unknown flavor '" + name + "' (expected openai, lmstudio, ollama or vllm)");
}

std::string to_string(Flavor flavor) {
  switch (flavor) {
    case Flavor::kOpenAI:
      return "openai";
    case Flavor::kLmStudio:
      return "lmstudio";
    case Flavor::kOllama:
      return "ollama";
    case Flavor::kVllm:
      return "vllm";
  }
  return "openai";
}

// -----------------------------------------------------------------------------------------------
// The server state

struct FakeUpstream::State {
  FakeUpstreamOptions options;
  httplib::Server server;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<bool> listen_returned{false};
  std::atomic<long long> completion_counter{0};
  std::atomic<long long> tool_call_counter{0};
  int listen_fd = -1;

  mutable std::mutex mutex;  // guards models, script, requests, the record file
  std::vector<FakeModel> models;
  Script script;
  std::vector<nlohmann::json> requests;

  explicit State(FakeUpstreamOptions opts) : options(std::move(opts)), models(options.models) {}

  // Sleeps up to `ms`, waking early when the server stops.
  void sleep_ms(long long ms) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stopping && std::chrono::steady_clock::now() < until) {
      const auto left = until - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(10)));
    }
  }

  std::vector<FakeModel> models_snapshot() const {
    std::lock_guard<std::mutex> lock(mutex);
    return models;
  }

  // --- recording --------------------------------------------------------------------------------

  void record(const httplib::Request& req) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : req.headers) {
      // httplib adds these pseudo-headers to every request it receives.
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT") continue;
      headers[name] = value;
    }
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded()) body = req.body;
    nlohmann::json entry = {{"method", req.method}, {"path", req.path}, {"headers", std::move(headers)}, {"body", std::move(body)}};
    std::lock_guard<std::mutex> lock(mutex);
    if (!options.record_file.empty()) {
      std::ofstream out(options.record_file, std::ios::app | std::ios::binary);
      out << entry.dump() << "\n";
    }
    requests.push_back(std::move(entry));
  }

  // --- auth -------------------------------------------------------------------------------------

  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    if (options.api_key.empty()) return true;
    const auto auth = req.get_header_value("Authorization");
    if (auth == "Bearer " + options.api_key) return true;
    const std::string message = auth.empty() ? "You didn't provide an API key. You need to provide your API key in an "
                                               "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                                             : "Incorrect API key provided.";
    send_json(res, 401, error_json(message, "invalid_request_error", nullptr, "invalid_api_key"));
    return false;
  }

  // --- models -------------------------------------------------------------------------------------

  // The model a request resolves to, or an error already written to `res`.
  std::optional<std::string> resolve_model(const std::string& requested, httplib::Response& res) const {
    const auto list = models_snapshot();
    const auto flavor = options.flavor;
    auto listed = [&](const std::string& name) {
      return std::any_of(list.begin(), list.end(), [&](const FakeModel& m) {
        return m.id == name || (flavor == Flavor::kOllama && ollama_base(m.id) == ollama_base(name));
      });
    };
    const bool any_loaded = std::any_of(list.begin(), list.end(), [](const FakeModel& m) { return m.loaded; });

    if (flavor == Flavor::kLmStudio) {
      // With nothing loaded LM Studio answers this whatever model was asked for.
      if (!any_loaded) {
        send_json(res, 404,
                  error_json("No models loaded. Please load a model in the developer page or use the 'lms load' command.",
                             "invalid_request_error", "model", nullptr));
        return std::nullopt;
      }
      if (!requested.empty() && !listed(requested)) {
        send_json(res, 404, error_json("model '" + requested + "' not found", "invalid_request_error", "model",
                                       "model_not_found"));
        return std::nullopt;
      }
      if (!requested.empty()) return requested;
      for (const auto& m : list) {
        if (m.loaded) return m.id;
      }
    }

    if (requested.empty() && !list.empty()) return list.front().id;
    if (!requested.empty() && listed(requested)) return requested;

    switch (flavor) {
      case Flavor::kOllama:
        send_json(res, 404, error_json("model \"" + requested + "\" not found, try pulling it first", "not_found_error",
                                       nullptr, nullptr));
        break;
      case Flavor::kVllm:
        send_json(res, 404, error_json("The model `" + requested + "` does not exist.", "NotFoundError", nullptr, 404));
        break;
      default:
        send_json(res, 404, error_json("model '" + requested + "' not found", "invalid_request_error", "model",
                                       "model_not_found"));
        break;
    }
    return std::nullopt;
  }

  // --- listings -----------------------------------------------------------------------------------

  json v1_models() const {
    const auto list = models_snapshot();
    json data = json::array();
    for (const auto& m : list) {
      switch (options.flavor) {
        case Flavor::kOpenAI:
          data.push_back({{"id", m.id}, {"object", "model"}, {"created", 1700000000}, {"owned_by", "openai"}});
          break;
        case Flavor::kLmStudio:
          data.push_back({{"id", m.id}, {"object", "model"}, {"owned_by", "organization_owner"}});
          break;
        case Flavor::kOllama:
          data.push_back({{"id", m.id}, {"object", "model"}, {"created", 1700000000}, {"owned_by", "library"}});
          break;
        case Flavor::kVllm:
          data.push_back({{"id", m.id},
                          {"object", "model"},
                          {"created", 1730000000},
                          {"owned_by", "vllm"},
                          {"root", m.id},
                          {"parent", nullptr},
                          {"max_model_len", 8192}});
          break;
      }
    }
    if (options.flavor == Flavor::kLmStudio) return {{"data", data}, {"object", "list"}};
    if (options.flavor == Flavor::kOllama && data.empty()) return {{"object", "list"}, {"data", nullptr}};
    return {{"object", "list"}, {"data", data}};
  }

  json lmstudio_api_v1_models() const {
    json out = json::array();
    for (const auto& m : models_snapshot()) {
      json instances = json::array();
      if (m.loaded) instances.push_back({{"id", m.id}, {"config", {{"context_length", 4096}}}});
      out.push_back({{"type", "llm"},
                     {"key", m.id},
                     {"display_name", m.id},
                     {"loaded_instances", instances},
                     {"max_context_length", 32768},
                     {"capabilities", {{"trained_for_tool_use", true}}}});
    }
    return {{"models", out}};
  }

  json lmstudio_api_v0_models() const {
    json data = json::array();
    for (const auto& m : models_snapshot()) {
      data.push_back({{"id", m.id},
                      {"type", "llm"},
                      {"state", m.loaded ? "loaded" : "not-loaded"},
                      {"max_context_length", 131072}});
    }
    return {{"object", "list"}, {"data", data}};
  }

  static json ollama_entry(const FakeModel& m) {
    return {{"name", m.id},
            {"model", m.id},
            {"modified_at", "2025-01-01T00:00:00Z"},
            {"size", 3825819519LL},
            {"digest", fake_digest(m.id)},
            {"details",
             {{"parent_model", ""},
              {"format", "gguf"},
              {"family", "llama"},
              {"families", {"llama"}},
              {"parameter_size", "7B"},
              {"quantization_level", "Q4_0"}}}};
  }

  json ollama_tags() const {
    json out = json::array();
    for (const auto& m : models_snapshot()) out.push_back(ollama_entry(m));
    return {{"models", out}};
  }

  json ollama_ps() const {
    json out = json::array();
    for (const auto& m : models_snapshot()) {
      if (!m.loaded) continue;
      auto entry = ollama_entry(m);
      entry.erase("modified_at");
      entry["expires_at"] = "2099-01-01T00:00:00Z";
      entry["size_vram"] = 3825819519LL;
      entry["context_length"] = 4096;
      out.push_back(std::move(entry));
    }
    return {{"models", out}};
  }

  // --- chat -------------------------------------------------------------------------------------

  Plan plan_for(const ChatContext& ctx) {
    Plan plan;
    std::string default_reply;
    {
      std::lock_guard<std::mutex> lock(mutex);
      default_reply = script.default_reply;
      for (auto& rule : script.rules) {
        if (!rule_matches(rule, ctx)) continue;
        ++rule.used;
        if (rule.has_reply) plan.reply = rule.reply;
        plan.stream = rule.stream;
        plan.fault = rule.fault;
        break;
      }
    }
    if (!plan.reply.content && plan.reply.tool_calls.empty()) {
      plan.reply.content = default_reply == "echo" ? "echo: " + ctx.last_user_content : default_reply;
    }
    for (auto& call : plan.reply.tool_calls) {
      if (call.id.empty()) call.id = "call_" + std::to_string(++tool_call_counter);
    }
    if (plan.reply.finish_reason.empty()) plan.reply.finish_reason = plan.reply.tool_calls.empty() ? "stop" : "tool_calls";
    if (!plan.stream.fragmented) plan.stream.fragmented = options.flavor != Flavor::kOllama;
    return plan;
  }

  static json usage_json(const Plan& plan, const ChatContext& ctx) {
    std::size_t reply_chars = plan.reply.content ? plan.reply.content->size() : 0;
    for (const auto& c : plan.reply.tool_calls) reply_chars += c.name.size() + c.arguments.size();
    const UsageSpec spec = plan.reply.usage.value_or(UsageSpec{});
    const long long prompt = spec.prompt_tokens.value_or(approx_tokens(ctx.prompt_chars));
    const long long completion = spec.completion_tokens.value_or(approx_tokens(reply_chars));
    json usage = {{"prompt_tokens", prompt},
                  {"completion_tokens", completion},
                  {"total_tokens", spec.total_tokens.value_or(prompt + completion)}};
    if (spec.cached_tokens) usage["prompt_tokens_details"] = {{"cached_tokens", *spec.cached_tokens}};
    return usage;
  }

  void add_fingerprint(json& obj) const {
    if (options.flavor == Flavor::kOllama) obj["system_fingerprint"] = "fp_ollama";
  }

  json completion_json(const std::string& id, const std::string& model, const Plan& plan, const ChatContext& ctx) const {
    json message = {{"role", "assistant"}};
    const std::string content = plan.reply.content.value_or("");
    if (content.empty() && !plan.reply.tool_calls.empty()) {
      message["content"] = nullptr;
    } else {
      message["content"] = content;
    }
    if (!plan.reply.tool_calls.empty()) {
      json calls = json::array();
      for (const auto& c : plan.reply.tool_calls) {
        calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
      }
      message["tool_calls"] = calls;
    }
    json out = {{"id", id},
                {"object", "chat.completion"},
                {"created", now_unix()},
                {"model", model}};
    add_fingerprint(out);
    out["choices"] = json::array({{{"index", 0}, {"message", message}, {"finish_reason", plan.reply.finish_reason}}});
    out["usage"] = usage_json(plan, ctx);
    return out;
  }

  // The data payloads of a streamed reply (without faults and without [DONE]).
  std::vector<std::string> stream_payloads(const std::string& id, const std::string& model, const Plan& plan,
                                           const ChatContext& ctx, bool include_usage) const {
    const long long created = now_unix();
    auto chunk = [&](json delta, json finish_reason) {
      json c = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model}};
      add_fingerprint(c);
      c["choices"] = json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}});
      return c.dump();
    };
    std::vector<std::string> out;
    out.push_back(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
    const std::size_t n = plan.stream.chunk_size;
    for (const auto& piece : split_chars(plan.reply.content.value_or(""), n)) {
      out.push_back(chunk({{"content", piece}}, nullptr));
    }
    const bool fragmented = plan.stream.fragmented.value_or(true);
    for (std::size_t i = 0; i < plan.reply.tool_calls.size(); ++i) {
      const auto& c = plan.reply.tool_calls[i];
      if (fragmented) {
        out.push_back(chunk(
            {{"tool_calls",
              json::array({{{"index", i}, {"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", ""}}}}})}},
            nullptr));
        for (const auto& piece : split_chars(c.arguments, n)) {
          out.push_back(chunk({{"tool_calls", json::array({{{"index", i}, {"function", {{"arguments", piece}}}}})}}, nullptr));
        }
      } else {
        out.push_back(chunk({{"tool_calls", json::array({{{"index", i},
                                                          {"id", c.id},
                                                          {"type", "function"},
                                                          {"function", {{"name", c.name}, {"arguments", c.arguments}}}}})}},
                            nullptr));
      }
    }
    out.push_back(chunk(json::object(), plan.reply.finish_reason));
    if (include_usage) {
      json u = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model}};
      add_fingerprint(u);
      u["choices"] = json::array();
      u["usage"] = usage_json(plan, ctx);
      out.push_back(u.dump());
    }
    return out;
  }

  void answer_fault_status(const FaultSpec& fault, httplib::Response& res) const {
    if (fault.retry_after) res.set_header("Retry-After", *fault.retry_after);
    if (fault.body) {
      const bool is_json = !json::parse(*fault.body, nullptr, false).is_discarded();
      res.status = fault.status;
      res.set_content(*fault.body, is_json ? "application/json" : "text/plain");
    } else {
      send_json(res, fault.status, error_json("fake failure", "server_error", nullptr, nullptr));
    }
  }

  // A reply whose content is huge_content_bytes of 'x', written 64 KiB at a time as the client
  // reads it, so the fake's own memory stays small: for the proxy's memory-limit tests.
  void answer_huge(const std::string& id, const std::string& model, const Plan& plan, const ChatContext& ctx,
                   bool include_usage, httplib::Response& res) {
    constexpr std::size_t kPiece = 64 * 1024;
    const auto total = static_cast<std::size_t>(plan.fault.huge_content_bytes);
    const std::string piece(kPiece, 'x');
    res.status = 200;
    if (!ctx.stream) {
      // The completion JSON with an empty content, split where the content goes.
      Plan empty = plan;
      empty.reply.content = "";
      const std::string whole = completion_json(id, model, empty, ctx).dump();
      const std::size_t at = whole.find(R"("content":"")") + std::string(R"("content":")").size();
      auto head = std::make_shared<std::string>(whole.substr(0, at));
      auto tail = std::make_shared<std::string>(whole.substr(at));
      res.set_content_provider(
          head->size() + total + tail->size(), "application/json",
          [this, head, tail, total, piece](std::size_t offset, std::size_t, httplib::DataSink& sink) {
            if (stopping) return false;
            if (offset < head->size()) return sink.write(head->data() + offset, head->size() - offset);
            const std::size_t in_content = offset - head->size();
            if (in_content < total) return sink.write(piece.data(), std::min(piece.size(), total - in_content));
            const std::size_t in_tail = in_content - total;
            return sink.write(tail->data() + in_tail, tail->size() - in_tail);
          });
      return;
    }
    Plan empty = plan;
    empty.reply.content = "";
    empty.reply.tool_calls.clear();
    // The usual events of an empty reply, with the content events between the first and the rest.
    auto frame = [](const std::string& payload) { return "data: " + payload + "\n\n"; };
    std::vector<std::string> payloads = stream_payloads(id, model, empty, ctx, include_usage);
    payloads.push_back("[DONE]");
    auto first = std::make_shared<std::string>(frame(payloads.front()));
    auto rest = std::make_shared<std::string>();
    for (std::size_t i = 1; i < payloads.size(); ++i) *rest += frame(payloads[i]);
    auto content_event = [id, model, frame](std::size_t bytes) {
      json c = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", now_unix()}, {"model", model}};
      c["choices"] = json::array({{{"index", 0}, {"delta", {{"content", std::string(bytes, 'x')}}}, {"finish_reason", nullptr}}});
      return frame(c.dump());
    };
    auto full = std::make_shared<std::string>(content_event(kPiece));
    auto last = std::make_shared<std::string>(content_event(total % kPiece == 0 ? kPiece : total % kPiece));
    const std::size_t events = (total + kPiece - 1) / kPiece;
    auto sent = std::make_shared<std::size_t>(0);
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream", [this, first, rest, full, last, events, sent](std::size_t, httplib::DataSink& sink) {
          if (stopping) return false;
          const std::size_t n = (*sent)++;
          if (n == 0) return sink.write(first->data(), first->size());
          if (n < events) return sink.write(full->data(), full->size());
          if (n == events) return sink.write(last->data(), last->size());
          sink.write(rest->data(), rest->size());
          sink.done();
          return true;
        });
  }

  void chat(const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (!authorized(req, res)) return;
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      send_json(res, 400, error_json("We could not parse the JSON body of your request.", "invalid_request_error",
                                     nullptr, nullptr));
      return;
    }
    if (!body.contains("messages") || !body["messages"].is_array()) {
      send_json(res, 400, error_json("'messages' is a required property", "invalid_request_error", "messages", nullptr));
      return;
    }
    const ChatContext ctx = chat_context(body);
    const auto model = resolve_model(ctx.model, res);
    if (!model) return;
    const bool include_usage = body.contains("stream_options") && body["stream_options"].is_object() &&
                               body["stream_options"].value("include_usage", false);

    const Plan plan = plan_for(ctx);
    if (options.latency_ms > 0) sleep_ms(options.latency_ms);
    if (plan.fault.first_byte_delay_ms > 0) sleep_ms(plan.fault.first_byte_delay_ms);
    if (plan.fault.status != 0) {
      answer_fault_status(plan.fault, res);
      return;
    }

    const std::string id = "chatcmpl-fake-" + std::to_string(++completion_counter);
    if (plan.fault.huge_content_bytes > 0) {
      answer_huge(id, *model, plan, ctx, include_usage, res);
      return;
    }
    if (!ctx.stream) {
      if (plan.fault.malformed_json) {
        res.status = 200;
        res.set_content(R"({"id":")" + id + R"(","object":"chat.completion","choices":[{"index":0,"message":{"role")",
                        "application/json");
        return;
      }
      if (plan.fault.cut_body) {
        // Announces the whole reply, sends its first half, then drops the connection.
        auto whole = std::make_shared<std::string>(completion_json(id, *model, plan, ctx).dump());
        res.status = 200;
        res.set_content_provider(whole->size(), "application/json",
                                 [whole](size_t offset, size_t, httplib::DataSink& sink) {
                                   if (offset > 0) return false;
                                   sink.write(whole->data(), whole->size() / 2);
                                   return true;
                                 });
        return;
      }
      send_json(res, 200, completion_json(id, *model, plan, ctx));
      return;
    }

    // Streaming: build every event up front, then write one per provider call.
    std::vector<std::string> payloads = stream_payloads(id, *model, plan, ctx, include_usage);
    if (plan.fault.malformed_json) payloads.insert(payloads.begin() + 1, "{not json");
    if (plan.fault.error_event_after >= 0) {
      const auto keep = std::min<std::size_t>(payloads.size(), static_cast<std::size_t>(plan.fault.error_event_after));
      payloads.resize(keep);
      payloads.push_back(json{{"error", {{"message", "fake mid-stream failure"}, {"type", "InternalServerError"}, {"code", 500}}}}
                             .dump());
    }
    payloads.push_back("[DONE]");
    bool cut = false;
    if (plan.fault.cut_after_events >= 0) {
      const auto keep = std::min<std::size_t>(payloads.size() - 1, static_cast<std::size_t>(plan.fault.cut_after_events));
      payloads.resize(keep);
      cut = true;
    }

    const std::string eol = plan.stream.crlf ? "\r\n" : "\n";
    auto events = std::make_shared<std::vector<std::string>>();
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      std::string ev;
      if (plan.stream.comments && i > 0) ev += ": keep-alive" + eol + eol;
      ev += "data: " + payloads[i] + eol + eol;
      events->push_back(std::move(ev));
    }
    send_events(res, events, plan.fault.chunk_delay_ms, cut);
  }

  // Writes `events` one per provider call, `delay` ms apart; with `cut`, drops the connection
  // after the last instead of ending the body.
  void send_events(httplib::Response& res, std::shared_ptr<std::vector<std::string>> events, int delay, bool cut,
                   const std::string& content_type = "text/event-stream") {
    auto next = std::make_shared<std::size_t>(0);
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        content_type, [this, events, next, delay, cut](std::size_t /*offset*/, httplib::DataSink& sink) {
          if (stopping) return false;
          if (*next < events->size()) {
            if (*next > 0 && delay > 0) {
              sleep_ms(delay);
              if (stopping) return false;
            }
            const auto& ev = (*events)[(*next)++];
            return sink.write(ev.data(), ev.size());
          }
          // Returning false makes httplib close the socket without the terminating chunk.
          if (cut) return false;
          sink.done();
          return true;
        });
  }

  // --- native Responses and Messages (native_apis) -----------------------------------------------

  // POST /v1/responses or /v1/messages as a server that speaks the protocol itself: the request
  // read by the project's translation to chat completions, answered by the chat engine above
  // (rules, faults, model errors), and the reply written back in the protocol.
  void native(const httplib::Request& req, httplib::Response& res, const client_api::ClientApi& api) {
    record(req);
    if (!authorized(req, res)) return;
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    std::string problem = body.is_object() ? "" : "the request body is not a JSON object";
    std::optional<nlohmann::json> translated;
    if (problem.empty()) translated = api.to_chat_request(body, &problem);
    if (!translated) {
      res.status = 400;
      res.set_content(api.error_body(400, problem, "invalid_request_error"), "application/json");
      return;
    }
    const json chat = json::parse(translated->dump());
    const ChatContext ctx = chat_context(chat);
    const auto model = resolve_model(ctx.model, res);
    if (!model) return;
    const Plan plan = plan_for(ctx);
    if (options.latency_ms > 0) sleep_ms(options.latency_ms);
    if (plan.fault.first_byte_delay_ms > 0) sleep_ms(plan.fault.first_byte_delay_ms);
    if (plan.fault.status != 0) {
      answer_fault_status(plan.fault, res);
      return;
    }
    const std::string id = "chatcmpl-fake-" + std::to_string(++completion_counter);
    client_api::ReplyContext context;
    context.model = *model;
    context.id = "fake" + std::to_string(completion_counter.load());
    context.created = now_unix();
    context.request = body;
    if (!ctx.stream) {
      const auto reply = llm::ChatResponse::from_json(nlohmann::json::parse(completion_json(id, *model, plan, ctx).dump()));
      res.set_content(api.from_chat_reply(reply, context).dump(), "application/json");
      return;
    }
    std::unique_ptr<client_api::StreamTranslator> translator = api.stream_translator(context);
    llm::StreamAssembler assembler;
    auto events = std::make_shared<std::vector<std::string>>();
    for (const std::string& payload : stream_payloads(id, *model, plan, ctx, /*include_usage=*/true)) {
      const nlohmann::json chunk = nlohmann::json::parse(payload);
      assembler.add(chunk);
      std::string out = translator->on_chunk(chunk);
      if (!out.empty()) events->push_back(std::move(out));
    }
    events->push_back(translator->on_finish(assembler.result()));
    const bool cut = plan.fault.cut_after_events >= 0;
    if (cut) events->resize(std::min<std::size_t>(events->size(), static_cast<std::size_t>(plan.fault.cut_after_events)));
    send_events(res, events, plan.fault.chunk_delay_ms, cut, std::string(api.stream_content_type()));
  }

  // --- other endpoints ----------------------------------------------------------------------------

  void embeddings(const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (!authorized(req, res)) return;
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      send_json(res, 400, error_json("We could not parse the JSON body of your request.", "invalid_request_error",
                                     nullptr, nullptr));
      return;
    }
    const std::string requested = body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>() : "";
    const auto model = resolve_model(requested, res);
    if (!model) return;
    std::size_t count = 1;
    std::size_t chars = 0;
    if (body.contains("input")) {
      const auto& input = body["input"];
      if (input.is_array() && !input.empty() && !input[0].is_number()) {
        count = input.size();
        for (const auto& s : input) chars += s.is_string() ? s.get_ref<const std::string&>().size() : 4;
      } else if (input.is_string()) {
        chars = input.get_ref<const std::string&>().size();
      } else if (input.is_array()) {
        chars = input.size() * 4;
      }
    }
    if (options.latency_ms > 0) sleep_ms(options.latency_ms);
    json data = json::array();
    for (std::size_t i = 0; i < count; ++i) {
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", {0.1, 0.2, 0.3}}});
    }
    const auto tokens = approx_tokens(chars);
    send_json(res, 200,
              {{"object", "list"}, {"data", data}, {"model", *model}, {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
  }

  void completions(const httplib::Request& req, httplib::Response& res) {
    record(req);
    if (!authorized(req, res)) return;
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      send_json(res, 400, error_json("We could not parse the JSON body of your request.", "invalid_request_error",
                                     nullptr, nullptr));
      return;
    }
    const std::string requested = body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>() : "";
    const auto model = resolve_model(requested, res);
    if (!model) return;
    std::string prompt;
    if (body.contains("prompt")) {
      const auto& p = body["prompt"];
      if (p.is_string()) {
        prompt = p.get<std::string>();
      } else if (p.is_array() && !p.empty() && p[0].is_string()) {
        prompt = p[0].get<std::string>();
      }
    }
    std::string default_reply;
    {
      std::lock_guard<std::mutex> lock(mutex);
      default_reply = script.default_reply;
    }
    const std::string text = default_reply == "echo" ? "echo: " + prompt : default_reply;
    if (options.latency_ms > 0) sleep_ms(options.latency_ms);
    const auto prompt_tokens = approx_tokens(prompt.size());
    const auto completion_tokens = approx_tokens(text.size());
    json out = {{"id", "cmpl-fake-" + std::to_string(++completion_counter)},
                {"object", "text_completion"},
                {"created", now_unix()},
                {"model", *model},
                {"choices", json::array({{{"text", text}, {"index", 0}, {"logprobs", nullptr}, {"finish_reason", "stop"}}})},
                {"usage",
                 {{"prompt_tokens", prompt_tokens},
                  {"completion_tokens", completion_tokens},
                  {"total_tokens", prompt_tokens + completion_tokens}}}};
    add_fingerprint(out);
    send_json(res, 200, out);
  }

  void not_found(const httplib::Request& req, httplib::Response& res) {
    record(req);
    switch (options.flavor) {
      case Flavor::kOllama:
        res.status = 404;
        res.set_content("404 page not found", "text/plain");
        break;
      case Flavor::kVllm:
        send_json(res, 404, {{"detail", "Not Found"}});
        break;
      case Flavor::kLmStudio:
        send_json(res, 404, {{"error", "Unexpected endpoint or method. (" + req.method + " " + req.path + ")"}});
        break;
      case Flavor::kOpenAI:
        send_json(res, 404, error_json("Unknown request URL: " + req.method + " " + req.path, "invalid_request_error",
                                       nullptr, "unknown_url"));
        break;
    }
  }

  // A GET endpoint returning fixed or computed JSON (recorded; /v1/* honours the api key).
  void get_json(const std::string& path, std::function<json()> make) {
    server.Get(path, [this, path, make = std::move(make)](const httplib::Request& req, httplib::Response& res) {
      record(req);
      if (path.rfind("/v1/", 0) == 0 && !authorized(req, res)) return;
      send_json(res, 200, make());
    });
  }

  void register_routes() {
    using Req = const httplib::Request&;
    using Res = httplib::Response&;
    server.Post("/v1/chat/completions", [this](Req req, Res res) { chat(req, res); });
    server.Post("/v1/embeddings", [this](Req req, Res res) { embeddings(req, res); });
    server.Post("/v1/completions", [this](Req req, Res res) { completions(req, res); });
    get_json("/v1/models", [this] { return v1_models(); });
    if (options.native_apis) {
      server.Post("/v1/responses", [this](Req req, Res res) { native(req, res, client_api::responses_api()); });
      server.Post("/v1/messages", [this](Req req, Res res) { native(req, res, client_api::messages_api()); });
    }

    switch (options.flavor) {
      case Flavor::kLmStudio:
        get_json("/api/v1/models", [this] { return lmstudio_api_v1_models(); });
        get_json("/api/v0/models", [this] { return lmstudio_api_v0_models(); });
        break;
      case Flavor::kOllama:
        server.Get("/", [this](Req req, Res res) {
          record(req);
          res.set_content("Ollama is running", "text/plain; charset=utf-8");
        });
        get_json("/api/version", [] { return json{{"version", "0.12.6"}}; });
        get_json("/api/tags", [this] { return ollama_tags(); });
        get_json("/api/ps", [this] { return ollama_ps(); });
        if (options.native_apis) {
          server.Post("/api/chat", [this](Req req, Res res) { native(req, res, client_api::ollama_chat_api()); });
          server.Post("/api/generate", [this](Req req, Res res) { native(req, res, client_api::ollama_generate_api()); });
        }
        break;
      case Flavor::kVllm:
        server.Get("/health", [this](Req req, Res res) {
          record(req);
          res.status = 200;
        });
        get_json("/version", [] { return json{{"version", "0.11.0"}}; });
        break;
      case Flavor::kOpenAI:
        break;
    }

    const auto fallback = [this](Req req, Res res) { not_found(req, res); };
    server.Get(".*", fallback);
    server.Post(".*", fallback);
    server.Put(".*", fallback);
    server.Patch(".*", fallback);
    server.Delete(".*", fallback);
    server.Options(".*", fallback);

    server.set_exception_handler([](Req, Res res, std::exception_ptr ep) {
      std::string what = "unknown error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_json(res, 500, error_json("fake upstream internal error: " + what, "server_error", nullptr, nullptr));
    });
  }
};

// -----------------------------------------------------------------------------------------------
// FakeUpstream

FakeUpstream::FakeUpstream(FakeUpstreamOptions options) {
  if (!util::is_loopback_host(options.host)) {
    throw std::invalid_argument("fake upstream: refusing to bind non-loopback host '" + options.host + "'");
  }
  if (options.host == "localhost") options.host = "127.0.0.1";
  state_ = std::make_shared<State>(std::move(options));
  State& st = *state_;

  st.server.new_task_queue = [] { return new httplib::ThreadPool(128); };
  // Answers go out in several writes; without this Nagle holds each one ~40 ms.
  st.server.set_tcp_nodelay(true);
  st.server.set_socket_options([&st](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);  // not SO_REUSEPORT: a taken port must fail
    st.listen_fd = sock;
  });
  st.register_routes();

  const auto& host = st.options.host;
  if (st.options.port == 0) {
    st.port = st.server.bind_to_any_port(host);
    if (st.port <= 0) throw std::runtime_error("fake upstream: cannot bind " + host + " on an ephemeral port");
  } else {
    if (!st.server.bind_to_port(host, st.options.port)) {
      throw std::runtime_error("fake upstream: cannot bind " + host + ":" + std::to_string(st.options.port));
    }
    st.port = st.options.port;
  }
  // httplib listens with a backlog of 5; raise it so a burst of concurrent clients connects at once.
  if (st.listen_fd >= 0) ::listen(st.listen_fd, 512);

  thread_ = std::thread([&st] {
    st.server.listen_after_bind();
    st.listen_returned = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!st.server.is_running()) {
    if (st.listen_returned || std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("fake upstream: server failed to start on " + url());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

FakeUpstream::~FakeUpstream() { stop(); }

int FakeUpstream::port() const { return state_->port; }

std::string FakeUpstream::url() const {
  const auto& host = state_->options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(state_->port);
}

llm::ClientOptions FakeUpstream::client_options() const {
  llm::ClientOptions o;
  o.base_url = llm::BaseUrl::parse(url() + "/v1");
  o.max_retries = 0;
  o.read_timeout = std::chrono::seconds(10);
  return o;
}

void FakeUpstream::set_script(const std::string& yaml_text) {
  Script script = parse_script(yaml_text);
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->script = std::move(script);
}

void FakeUpstream::load_script(const std::filesystem::path& yaml_file) {
  std::ifstream in(yaml_file, std::ios::binary);
  if (!in) throw std::runtime_error("fake upstream: cannot read script " + yaml_file.string());
  std::ostringstream text;
  text << in.rdbuf();
  try {
    set_script(text.str());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(yaml_file.string() + ": " + e.what());
  }
}

void FakeUpstream::set_models(std::vector<FakeModel> models) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->models = std::move(models);
}

std::vector<nlohmann::json> FakeUpstream::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->requests;
}

void FakeUpstream::clear_requests() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->requests.clear();
}

void FakeUpstream::stop() {
  if (stopped_.exchange(true)) return;
  state_->stopping = true;
  state_->server.stop();
  if (state_->port > 0) shutdown_accepted_connections(state_->port);
  if (thread_.joinable()) thread_.join();
}

}  // namespace autoswarm::testing
