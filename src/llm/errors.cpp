#include "autoswarm/llm/errors.h"

#include <nlohmann/json.hpp>

namespace autoswarm::llm {
namespace {

constexpr size_t kMaxQuotedBody = 300;

std::string summarize_text(std::string_view body) {
  size_t b = body.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = body.find_last_not_of(" \t\r\n");
  std::string text(body.substr(b, e - b + 1));
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > kMaxQuotedBody) {
    // Never cut a UTF-8 character in half: the message may end up in a JSON reply.
    size_t cut = kMaxQuotedBody;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_null()) return "";
  return it->dump();
}

}  // namespace

HttpError::HttpError(int status, std::string upstream_message, std::string type,
                     const std::string& url)
    : LlmError("upstream " + url + " answered HTTP " + std::to_string(status) +
               (upstream_message.empty() ? "" : ": " + upstream_message)),
      status_(status),
      upstream_message_(std::move(upstream_message)),
      type_(std::move(type)) {}

ErrorBody parse_error_body(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    auto err = j.find("error");
    if (err != j.end() && err->is_object()) {  // OpenAI, LM Studio, vLLM >= 0.10.1
      return {string_field(*err, "message"), string_field(*err, "type")};
    }
    if (err != j.end() && err->is_string()) {  // Ollama native
      return {err->get<std::string>(), ""};
    }
    if (string_field(j, "object") == "error" || j.contains("message")) {  // vLLM < 0.10.1
      return {string_field(j, "message"), string_field(j, "type")};
    }
    if (j.contains("detail")) return {string_field(j, "detail"), ""};  // FastAPI default
  }
  return {summarize_text(body), ""};
}

}  // namespace autoswarm::llm
