#include "request_gate.h"


#include "autoswarm/llm/base_url.h"
#include "autoswarm/proxy/proxy_server.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/loopback.h"
#include "autoswarm/util/text.h"

namespace autoswarm::proxy {
namespace {

// "http://localhost:3000" → {"http", "localhost"}; nullopt for "null" and anything not an origin.
std::optional<llm::BaseUrl> parse_origin(const std::string& origin) {
  if (origin.find("://") == std::string::npos) return std::nullopt;
  try {
    llm::BaseUrl url = llm::BaseUrl::parse(origin);
    if (!url.prefix.empty()) return std::nullopt;
    return url;
  } catch (const UsageError&) {
    return std::nullopt;
  }
}

// The host part of a Host header: "127.0.0.1:8080" → "127.0.0.1", "[::1]:8080" → "::1".
std::string host_of(const std::string& header) {
  if (!header.empty() && header[0] == '[') {
    size_t end = header.find(']');
    return end == std::string::npos ? header : header.substr(1, end - 1);
  }
  size_t colon = header.find(':');
  return util::ascii_lower(colon == std::string::npos ? header : header.substr(0, colon));
}

// A header value as it goes into an error message: one line, at most `max_bytes`.
std::string shown(const std::string& value, size_t max_bytes) {
  return util::one_line(std::string(util::utf8_head(value, max_bytes)));
}

bool is_json_content_type(const std::string& value) {
  std::string type = util::ascii_lower(util::trim(value.substr(0, value.find(';'))));
  return type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0 &&
                                         type.rfind("application/", 0) == 0);
}

}  // namespace

void validate_cors_origins(const std::vector<std::string>& origins, bool proxy_key_set) {
  for (const auto& o : origins) {
    if (o == "*") {
      if (!proxy_key_set) {
        throw UsageError("--cors-origin '*' lets any web page you visit use the proxy; it needs "
                         "--proxy-key too (or name the origins, e.g. --cors-origin http://myhost:3000)");
      }
      continue;
    }
    auto url = parse_origin(o);
    if (!url || o.back() == '/') {
      throw UsageError("--cors-origin '" + o + "' is not an origin: write scheme://host[:port], e.g. "
                       "http://localhost:3000, with no path");
    }
  }
}

bool RequestGate::origin_allowed(const std::string& origin) const {
  for (const auto& o : policy_.cors_origins) {
    if (o == "*" || util::ascii_lower(o) == util::ascii_lower(origin)) return true;
  }
  auto url = parse_origin(origin);
  return url && util::is_loopback_host(url->host);
}

bool RequestGate::host_allowed(const std::string& host_header) const {
  std::string host = host_of(host_header);
  return util::is_loopback_host(host) || host == util::ascii_lower(policy_.listen_host);
}

std::optional<GateRefusal> RequestGate::check(const httplib::Request& req, httplib::Response& res) const {
  std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    if (!origin_allowed(origin)) {
      return GateRefusal{403,
                         "requests from the web page at " + shown(origin, 200) +
                             " are not allowed; to let a browser app use the proxy, start it with "
                             "--cors-origin " + shown(origin, 200),
                         "forbidden_origin"};
    }
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
  }
  if (policy_.check_host && req.has_header("Host") && !host_allowed(req.get_header_value("Host"))) {
    return GateRefusal{403,
                       "the Host header '" + shown(req.get_header_value("Host"), 200) +
                           "' is not this proxy's address; use http://127.0.0.1 or localhost, or start "
                           "the proxy with --proxy-key to accept other names",
                       "forbidden_host"};
  }
  if (req.method == "POST" && !is_json_content_type(req.get_header_value("Content-Type"))) {
    std::string got = req.get_header_value("Content-Type");
    return GateRefusal{415,
                       req.path + " takes a JSON body: send 'Content-Type: application/json'" +
                           (got.empty() ? " (none was sent)" : " (got '" + shown(got, 100) + "')") +
                           "; with curl, add -H 'Content-Type: application/json'",
                       "unsupported_media_type"};
  }
  return std::nullopt;
}

bool RequestGate::answer_preflight(const httplib::Request& req, httplib::Response& res) const {
  if (req.method != "OPTIONS") return false;
  std::string origin = req.get_header_value("Origin");
  if (origin.empty() || !origin_allowed(origin)) {
    res.status = 403;
    return true;
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  std::string asked = req.get_header_value("Access-Control-Request-Headers");
  res.set_header("Access-Control-Allow-Headers", asked.empty() ? "Authorization, Content-Type" : asked);
  res.set_header("Access-Control-Max-Age", "600");
  return true;
}

}  // namespace autoswarm::proxy
