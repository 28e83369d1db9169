// The address of an OpenAI-compatible server. "http://127.0.0.1:11434" and
// "http://127.0.0.1:11434/v1" name the same upstream: the trailing /v1 is optional everywhere
// a URL is accepted, and the client adds it to every API path.
#pragma once

#include <string>
#include <string_view>

namespace autoswarm::llm {

// Where a path handed to llm::Client is on the server: under the OpenAI API base ("/models"
// is /v1/models), or at the server's root (Ollama's own "/api/chat").
enum class PathBase { kApi, kRoot };

struct BaseUrl {
  std::string scheme;   // "http" or "https"
  std::string host;     // "127.0.0.1", "api.example.com", "::1" (no brackets)
  int port = 0;         // explicit or the scheme's default
  std::string prefix;   // path before /v1, without trailing slash ("" or "/openai")

  // Parses and normalises; throws UsageError naming `url` and the accepted form when malformed.
  static BaseUrl parse(std::string_view url);

  // "http://127.0.0.1:11434" — what httplib::Client takes.
  std::string origin() const;
  // The canonical display form: origin + prefix + "/v1".
  std::string str() const;
  // An OpenAI API path: "/models" -> prefix + "/v1/models".
  std::string api_path(std::string_view path) const;
  // A server path outside /v1 (Ollama's /api/tags, vLLM's /health): prefix + path.
  std::string root_path(std::string_view path) const;
  // api_path or root_path, as `base` says.
  std::string path(PathBase base, std::string_view path) const {
    return base == PathBase::kApi ? api_path(path) : root_path(path);
  }

  bool operator==(const BaseUrl&) const = default;
};

}  // namespace autoswarm::llm
