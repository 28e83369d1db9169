// The pieces of the Ollama translation (ollama_request.cpp, ollama_reply.cpp,
// ollama_images.cpp, ollama_models.cpp) that the others use. Private to src/client_api.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/chat.h"

namespace autoswarm::client_api::ollama {

// The two Ollama endpoints translated to chat completions: they differ in the request's shape
// and in where a reply's text goes ("message" or "response").
enum class Endpoint { kChat, kGenerate };


// The chat completions request for an /api/chat or /api/generate body; nullopt with `*problem`
// naming the field for what cannot be translated or has the wrong type.
std::optional<json> chat_request_from_chat(const json& request, std::string* problem);
std::optional<json> chat_request_from_generate(const json& request, std::string* problem);

// The chat request fields that /api/chat and /api/generate share: format, options and stream
// (absent means streaming, as in Ollama). Sets them on `out`; false with `*problem` on a bad one.
bool translate_shared_fields(const json& request, json& out, std::string* problem);

// The chat content of one Ollama message with images: a text part (when there is text), then
// one image_url part per image as a data: URL. `at` names the images field for a 400.
std::optional<json> content_with_images(const std::string& text, const json& images, const std::string& at,
                                        std::string* problem);

// The bytes of standard (or URL-safe) base64 text, padding optional, whitespace skipped;
// nullopt when it holds anything else.
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);
// image/png, image/jpeg, image/gif or image/webp by the file's magic bytes; image/png otherwise.
std::string_view image_mime_type(std::string_view bytes);

// The reply bodies and lines (ollama_reply.cpp).
json whole_reply(Endpoint endpoint, const llm::ChatResponse& reply, const ReplyContext& context);
std::unique_ptr<StreamTranslator> stream_translator(Endpoint endpoint, const ReplyContext& context);
// Ollama's tool calls: [{"id","function":{"index","name","arguments":<object>}}], arguments
// that are not a JSON object becoming {}.
json tool_calls_json(const std::vector<llm::ToolCall>& calls);

}  // namespace autoswarm::client_api::ollama
