#include "autoswarm/llm/base_url.h"

#include <charconv>

#include "autoswarm/util/error.h"

namespace autoswarm::llm {
namespace {

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw UsageError("invalid upstream URL '" + std::string(url) + "': " + std::string(why) +
                   " (expected http[s]://HOST[:PORT][/PATH][/v1], e.g. http://127.0.0.1:11434/v1)");
}

}  // namespace

BaseUrl BaseUrl::parse(std::string_view url) {
  BaseUrl out;
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    out.scheme = "http";
    out.port = 80;
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    out.scheme = "https";
    out.port = 443;
    rest.remove_prefix(8);
  } else {
    bad_url(url, "it must start with http:// or https://");
  }
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) bad_url(url, "a query or fragment is not allowed");
  if (authority.find('@') != std::string_view::npos) {
    bad_url(url, "credentials in the URL are not supported; pass --api-key");
  }

  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {  // [::1]:8080
    size_t close = authority.find(']');
    if (close == std::string_view::npos) bad_url(url, "unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(":")) bad_url(url, "unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) bad_url(url, "the host is missing");
  out.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535) {
      bad_url(url, "the port must be a number from 1 to 65535");
    }
    out.port = p;
  }

  std::string prefix(path);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.ends_with("/v1")) prefix.resize(prefix.size() - 3);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  out.prefix = prefix;
  return out;
}

std::string BaseUrl::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

std::string BaseUrl::str() const { return origin() + prefix + "/v1"; }

std::string BaseUrl::api_path(std::string_view path) const {
  return prefix + "/v1" + std::string(path);
}

std::string BaseUrl::root_path(std::string_view path) const { return prefix + std::string(path); }

}  // namespace autoswarm::llm
