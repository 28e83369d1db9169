#include "autoswarm/llm/errors.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"

#include <nlohmann/json.hpp>

namespace autoswarm::llm {
namespace {

constexpr size_t kMaxQuotedBody = 300;

std::string summarize_text(std::string_view body) {
  std::string text = util::one_line(std::string(util::trim(body)));
  // Never cut a UTF-8 character in half: the message may end up in a JSON reply.
  if (text.size() > kMaxQuotedBody) text = std::string(util::utf8_head(text, kMaxQuotedBody)) + "...";
  return text;
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
  nlohmann::json j = util::try_parse_json(body);
  if (j.is_object()) {
    auto err = j.find("error");
    if (err != j.end() && err->is_object()) {  // OpenAI, LM Studio, vLLM >= 0.10.1
      auto code = err->find("code");
      return {util::field_text(*err, "message"), util::field_text(*err, "type"),
              code != err->end() && (code->is_string() || code->is_number_integer()) ? *code : nlohmann::json()};
    }
    if (err != j.end() && err->is_string()) {  // Ollama native
      return {err->get<std::string>(), "", nullptr};
    }
    if (util::field_text(j, "object") == "error" || j.contains("message")) {  // vLLM < 0.10.1
      return {util::field_text(j, "message"), util::field_text(j, "type"), nullptr};
    }
    if (j.contains("detail")) return {util::field_text(j, "detail"), "", nullptr};  // FastAPI default
  }
  return {summarize_text(body), "", nullptr};
}

int parse_retry_after(const std::string& header) {
  if (header.empty() || header.size() > 9) return 0;
  int seconds = 0;
  for (char c : header) {
    if (c < '0' || c > '9') return 0;
    seconds = seconds * 10 + (c - '0');
  }
  return seconds;
}

}  // namespace autoswarm::llm
