// Chat replies as Ollama's: a whole reply is one object with `done: true`; a stream is NDJSON,
// one object per line, ending with a `done: true` line that carries the reason and the token
// counts. Ollama sends each tool call whole, so the stream holds the fragments back and writes
// the calls in one line just before the last. Durations are 0: the proxy does not see the
// upstream's load and eval times, and clients only divide by them when they are non-zero.
#include <chrono>

#include "autoswarm/llm/stream_assembler.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/utc_time.h"
#include "ollama_translation.h"

namespace autoswarm::client_api::ollama {
namespace {

std::string ndjson_line(const json& object) {
  return object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string created_at(const ReplyContext& context) {
  return util::utc_timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(context.created)));
}

std::string reply_model(const ReplyContext& context, const llm::ChatResponse& reply) {
  return context.model.empty() ? reply.model : context.model;
}

// Ollama's done_reason: "length" when the token limit cut the reply, else "stop" (tool calls
// included: Ollama has no reason of its own for them).
std::string done_reason(const std::string& finish_reason) {
  return finish_reason == "length" ? "length" : "stop";
}

// The fields of the last object: done, the reason and the counts.
void add_done_fields(json& object, const llm::ChatResponse& reply) {
  object["done"] = true;
  object["done_reason"] = done_reason(reply.finish_reason);
  object["total_duration"] = 0;
  object["load_duration"] = 0;
  object["prompt_eval_count"] = reply.usage.prompt_tokens;
  object["prompt_eval_duration"] = 0;
  object["eval_count"] = reply.usage.completion_tokens;
  object["eval_duration"] = 0;
}

// One streamed reply. Text and reasoning deltas go out as they come; tool-call fragments are
// held until the stream ends, then written whole.
class OllamaStream : public StreamTranslator {
 public:
  OllamaStream(Endpoint endpoint, const ReplyContext& context)
      : endpoint_(endpoint), model_(context.model), created_at_(created_at(context)) {}

  std::string on_chunk(const json& chunk) override {
    if (state_ == State::kEnded || !chunk.is_object()) return "";
    if (model_.empty()) model_ = util::string_field(chunk, "model");
    auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array()) return "";
    std::string out;
    for (const json& choice : *choices) {
      if (!choice.is_object()) continue;
      // n > 1 is never asked for; keep the first choice only.
      if (auto index = choice.find("index"); index != choice.end() && *index != 0) continue;
      auto delta = choice.find("delta");
      if (delta == choice.end() || !delta->is_object()) continue;
      std::string text = util::string_field(*delta, "content");
      std::string thinking = util::string_field(*delta, "reasoning_content");
      if (thinking.empty()) thinking = util::string_field(*delta, "reasoning");
      if (!text.empty() || !thinking.empty()) out += delta_line(text, thinking);
      if (auto calls = delta->find("tool_calls"); endpoint_ == Endpoint::kChat && calls != delta->end() && calls->is_array()) {
        for (const json& call : *calls) tool_calls_.add(call);
      }
    }
    return out;
  }

  std::string on_finish(const llm::ChatResponse& reply) override {
    if (state_ == State::kEnded) return "";
    state_ = State::kEnded;
    std::string out;
    if (!tool_calls_.empty()) {
      json line = line_head();
      line["message"] = {{"role", "assistant"}, {"content", ""}, {"tool_calls", tool_calls_json(tool_calls_.finish())}};
      line["done"] = false;
      out += ndjson_line(line);
    }
    json last = line_head();
    if (endpoint_ == Endpoint::kChat) last["message"] = {{"role", "assistant"}, {"content", ""}};
    else last["response"] = "";
    add_done_fields(last, reply);
    return out + ndjson_line(last);
  }

  std::string on_error(int /*status*/, const std::string& message, const std::string& /*type*/,
                       const llm::ChatResponse& /*partial*/) override {
    if (state_ == State::kEnded) return "";
    state_ = State::kEnded;
    // Ollama's mid-stream error: one {"error"} line, and the stream ends without `done`.
    return ndjson_line({{"error", message}});
  }

 private:
  enum class State { kStreaming, kEnded };

  json line_head() const { return {{"model", model_}, {"created_at", created_at_}}; }

  std::string delta_line(const std::string& text, const std::string& thinking) const {
    json line = line_head();
    if (endpoint_ == Endpoint::kChat) {
      line["message"] = {{"role", "assistant"}, {"content", text}};
      if (!thinking.empty()) line["message"]["thinking"] = thinking;
    } else {
      line["response"] = text;
      if (!thinking.empty()) line["thinking"] = thinking;
    }
    line["done"] = false;
    return ndjson_line(line);
  }

  Endpoint endpoint_;
  std::string model_;
  std::string created_at_;
  llm::ToolCallAssembler tool_calls_;
  State state_ = State::kStreaming;
};

class OllamaApi : public ClientApi {
 public:
  explicit OllamaApi(Endpoint endpoint) : endpoint_(endpoint) {}

  Protocol protocol() const override {
    return endpoint_ == Endpoint::kChat ? Protocol::kOllamaChat : Protocol::kOllamaGenerate;
  }
  std::optional<json> to_chat_request(const json& request, std::string* problem) const override {
    if (!request.is_object()) {
      *problem = "the request body must be a JSON object (got " + util::json_kind(request) + ")";
      return std::nullopt;
    }
    return endpoint_ == Endpoint::kChat ? chat_request_from_chat(request, problem)
                                        : chat_request_from_generate(request, problem);
  }
  json from_chat_reply(const llm::ChatResponse& reply, const ReplyContext& context) const override {
    return whole_reply(endpoint_, reply, context);
  }
  std::unique_ptr<StreamTranslator> stream_translator(const ReplyContext& context) const override {
    return ollama::stream_translator(endpoint_, context);
  }
  std::string_view stream_content_type() const override { return "application/x-ndjson"; }
  std::string error_body(int /*status*/, const std::string& message, const std::string& /*type*/) const override {
    // Ollama's errors are {"error":"…"} whatever the status; the status says the kind.
    return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }

 private:
  Endpoint endpoint_;
};

}  // namespace

json tool_calls_json(const std::vector<llm::ToolCall>& calls) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    const llm::ToolCall& call = calls[i];
    json arguments = util::try_parse_json(call.arguments);
    if (!arguments.is_object()) arguments = json::object();
    out.push_back({{"id", call.id.empty() ? "call_" + std::to_string(i) : call.id},
                   {"function", {{"index", i}, {"name", call.name}, {"arguments", std::move(arguments)}}}});
  }
  return out;
}

json whole_reply(Endpoint endpoint, const llm::ChatResponse& reply, const ReplyContext& context) {
  json out = {{"model", reply_model(context, reply)}, {"created_at", created_at(context)}};
  if (endpoint == Endpoint::kChat) {
    json message = {{"role", "assistant"}, {"content", reply.content}};
    if (!reply.reasoning_content.empty()) message["thinking"] = reply.reasoning_content;
    if (!reply.tool_calls.empty()) message["tool_calls"] = tool_calls_json(reply.tool_calls);
    out["message"] = std::move(message);
  } else {
    out["response"] = reply.content;
    if (!reply.reasoning_content.empty()) out["thinking"] = reply.reasoning_content;
  }
  add_done_fields(out, reply);
  return out;
}

std::unique_ptr<StreamTranslator> stream_translator(Endpoint endpoint, const ReplyContext& context) {
  return std::make_unique<OllamaStream>(endpoint, context);
}

}  // namespace autoswarm::client_api::ollama

namespace autoswarm::client_api {

const ClientApi& ollama_chat_api() {
  static const ollama::OllamaApi api(ollama::Endpoint::kChat);
  return api;
}

const ClientApi& ollama_generate_api() {
  static const ollama::OllamaApi api(ollama::Endpoint::kGenerate);
  return api;
}

}  // namespace autoswarm::client_api
