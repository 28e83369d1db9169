// The pieces of the Responses API translation that its request, reply and stream halves share:
// the ids a reply's items carry and the Response object every reply (whole or streamed) ends
// with. Internal to src/client_api/responses*.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autoswarm/client_api/client_api.h"

namespace autoswarm::client_api::responses {

// The request half (responses_request.cpp): see ClientApi::to_chat_request.
std::optional<json> to_chat_request(const json& request, std::string* problem);

// Reading a request's fields (responses_request.cpp). `at` is the path of the object holding
// the field ("input[2].", or "" at the top), for the problem. The readers return false, with
// `*problem` set, when the field has another type (or, required, is missing).
std::string must_be(const std::string& field, const char* expected, const json& got);
// object[key], or nullptr when it is absent or null (the two mean the same in a request).
const json* present(const json& object, const char* key);
bool optional_string(const json& object, const char* key, const std::string& at, std::string* out,
                     std::string* problem);
bool required_string(const json& object, const char* key, const std::string& at, std::string* out,
                     std::string* problem);

// The messages being built from `input` (responses_input.cpp), with every system and
// developer text kept apart: they become the one leading system message, since the chat
// templates of local models take a system message only first (some refuse a later one).
struct Conversation {
  std::vector<std::string> system_texts;
  json messages = json::array();
};
// Appends the messages of `input` (a string or a list of items).
bool read_input(const json& input, Conversation& c, std::string* problem);

// The reply halves (responses_reply.cpp, responses_stream.cpp).
json from_chat_reply(const llm::ChatResponse& reply, const ReplyContext& context);
std::unique_ptr<StreamTranslator> make_stream_translator(const ReplyContext& context);

// Compact JSON text; invalid UTF-8 is replaced, never thrown on.
std::string dump_json(const json& value);

// "resp_" + the exchange id (kept as it is when it already has the prefix).
std::string response_id(const ReplyContext& context);
// The id of a reply's output item: `prefix` ("msg_", "rs_", "fc_", "call_") + the exchange id
// + the item's output_index, so ids are unique within a reply and across replies.
std::string item_id(std::string_view prefix, const ReplyContext& context, size_t output_index);

enum class ResponseStatus { kInProgress, kCompleted, kIncomplete, kFailed };
std::string_view status_name(ResponseStatus status);

// How a chat reply that ended with `finish_reason` ended as a Response: incomplete for
// "length" (reason max_output_tokens) and "content_filter" (reason content_filter), completed
// otherwise. `*incomplete_reason` is set for incomplete ones.
ResponseStatus status_for_finish(const std::string& finish_reason, std::string* incomplete_reason);

// {input_tokens, input_tokens_details{cached_tokens}, output_tokens,
//  output_tokens_details{reasoning_tokens}, total_tokens}.
json usage_object(const llm::Usage& usage);

// Output items as a finished reply shows them.
json reasoning_item(const std::string& id, const std::string& text);
json message_item(const std::string& id, const std::string& text, ResponseStatus status);
json function_call_item(const std::string& id, const std::string& call_id, const std::string& name,
                        const std::string& arguments, ResponseStatus status);

// The Response object: id, object, created_at, status, model, output, usage, error,
// incomplete_details, and the request fields OpenAI echoes (defaults where the client sent
// none). `usage` and `error` may be null; `incomplete_reason` is used for kIncomplete only.
json response_object(const ReplyContext& context, ResponseStatus status, json output, json usage,
                     json error, const std::string& incomplete_reason = "");

}  // namespace autoswarm::client_api::responses
