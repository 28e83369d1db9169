// The client APIs the proxy speaks besides chat completions — OpenAI's Responses API,
// Anthropic's Messages API, Ollama's own /api/chat and /api/generate — each as a translation
// to and from chat completions. The proxy has one exchange pipeline (choose the model, inject
// skills, relay unbuffered, assemble the reply, log one record); a ClientApi is only the face
// it shows one kind of client: how its request becomes a chat completions request, how the
// chat reply (whole or streamed) becomes its reply, and how its errors look. Pure functions of
// JSON in and text out: no sockets, no files, so each is unit-tested and fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "autoswarm/llm/chat.h"

namespace autoswarm::client_api {

using nlohmann::json;

enum class Protocol {
  kChat,            // POST /v1/chat/completions (no translation)
  kResponses,       // POST /v1/responses
  kMessages,        // POST /v1/messages
  kOllamaChat,      // POST /api/chat
  kOllamaGenerate,  // POST /api/generate
};
// The name a conversation record keeps: "chat", "responses", "messages", "ollama-chat",
// "ollama-generate".
std::string_view protocol_name(Protocol protocol);
// Ollama's own API (kOllamaChat, kOllamaGenerate): NDJSON streams, streaming unless told not to.
inline bool is_ollama(Protocol protocol) {
  return protocol == Protocol::kOllamaChat || protocol == Protocol::kOllamaGenerate;
}

// What a reply is about, for the fields each protocol's reply repeats.
struct ReplyContext {
  std::string model;     // the model the request went to
  std::string id;        // this exchange's id, unique per reply (the proxy's conversation id)
  int64_t created = 0;   // Unix seconds the request arrived
  json request;          // the client's request as received (Responses echoes some fields)
  // A translator that must repeat what it streamed (the Responses API's .done events) keeps
  // at most about this much, then ends the stream with its error: a stream's memory is bounded
  // like a whole reply's (the proxy passes --max-upstream-reply).
  size_t max_kept_bytes = 16 * 1024 * 1024;
};

// Turns the upstream's chat-completion chunks, one at a time, into the client's stream. Each
// call returns the bytes to write to the client next (possibly none): complete SSE events
// ("event: …\ndata: …\n\n") or NDJSON lines, never a partial one.
class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;
  // One upstream chunk: the parsed JSON of one `data:` event other than [DONE] (a usage-only
  // chunk too: translated streams ask the upstream for usage).
  virtual std::string on_chunk(const json& chunk) = 0;
  // The upstream's stream ended normally; `reply` is the whole reply as assembled from the
  // chunks (text, tool calls with their arguments, finish reason, usage).
  virtual std::string on_finish(const llm::ChatResponse& reply) = 0;
  // The stream broke after it started (cut connection, upstream error event, timeout): the
  // protocol's error event and whatever ends its stream cleanly. `partial` is what arrived.
  virtual std::string on_error(int status, const std::string& message, const std::string& type,
                               const llm::ChatResponse& partial) = 0;
  // True once the translator wrote its stream's end by itself (a reply past max_kept_bytes):
  // the proxy then stops reading the upstream, and later calls return nothing.
  virtual bool ended() const { return false; }
};

class ClientApi {
 public:
  virtual ~ClientApi() = default;
  virtual Protocol protocol() const = 0;

  // The chat completions request for the client's request body (a JSON object, already parsed
  // with bounded nesting). Its messages pass llm::chat_request_problem. `stream` is set as the
  // client asked, with stream_options.include_usage when streaming. On a request the
  // translation cannot carry or a field of the wrong type: nullopt, and `*problem` names the
  // field and says what to send instead ("input[2].type 'computer_call' cannot be translated
  // to chat completions; …"), for a 400.
  virtual std::optional<json> to_chat_request(const json& request, std::string* problem) const = 0;

  // The client's reply body for a whole (non-streamed) chat reply.
  virtual json from_chat_reply(const llm::ChatResponse& reply, const ReplyContext& context) const = 0;
  // A translator for one streamed reply.
  virtual std::unique_ptr<StreamTranslator> stream_translator(const ReplyContext& context) const = 0;
  // "text/event-stream" (Responses, Messages) or "application/x-ndjson" (Ollama).
  virtual std::string_view stream_content_type() const = 0;

  // The protocol's error body for an HTTP error. `type` is the proxy's OpenAI-style error type
  // ("invalid_request_error", "authentication_error", "not_found_error", "upstream_error",
  // "upstream_timeout", "server_error", …); each protocol maps it to its own where it has one.
  virtual std::string error_body(int status, const std::string& message, const std::string& type) const = 0;
};

// Each translated protocol implements ClientApi as a stateless singleton that the proxy's route
// for it hands to handle_exchange. Chat completions themselves need no translation: the proxy
// relays them byte for byte (api null).

// Anthropic's Messages API (POST /v1/messages): system blocks, content blocks, tool_use and
// tool_result, its stream events and its error bodies ({"type":"error","error":{type,message}}).
const ClientApi& messages_api();

// About how many prompt tokens a chat completions request holds (text of the messages, tool
// calls and tool schemas at about four bytes a token): Anthropic's POST /v1/messages/count_tokens
// for upstreams that cannot count, which clients use to budget their context, not to bill.
int64_t estimate_prompt_tokens(const json& chat_request);

// Ollama's native POST /api/chat and POST /api/generate: streamed unless `stream` is false, as
// NDJSON lines (one whole tool call per line), errors as {"error":"…"} (src/client_api/ollama_*.cpp).
const ClientApi& ollama_chat_api();
const ClientApi& ollama_generate_api();

// OpenAI's Responses API (POST /v1/responses), stateless: a request that needs a stored
// response (previous_response_id, conversation, background) or a built-in tool is refused.
const ClientApi& responses_api();

// {"error":{"message","type","param":null,"code"}}: OpenAI's error body (chat completions,
// Responses, the proxy's own errors). Invalid UTF-8 in `message` is replaced, never thrown on.
std::string openai_error_body(const std::string& message, const std::string& type, const json& code);

}  // namespace autoswarm::client_api
