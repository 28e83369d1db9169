// OpenAI's Responses API as a ClientApi: the request, reply and stream halves live in
// responses_request.cpp, responses_reply.cpp and responses_stream.cpp.
#include "responses_parts.h"

namespace autoswarm::client_api {
namespace {

class ResponsesApi : public ClientApi {
 public:
  Protocol protocol() const override { return Protocol::kResponses; }
  std::optional<json> to_chat_request(const json& request, std::string* problem) const override {
    return responses::to_chat_request(request, problem);
  }
  json from_chat_reply(const llm::ChatResponse& reply, const ReplyContext& context) const override {
    return responses::from_chat_reply(reply, context);
  }
  std::unique_ptr<StreamTranslator> stream_translator(const ReplyContext& context) const override {
    return responses::make_stream_translator(context);
  }
  std::string_view stream_content_type() const override { return "text/event-stream"; }
  // OpenAI's own error body, with no code: the proxy's types already say what went wrong.
  std::string error_body(int /*status*/, const std::string& message, const std::string& type) const override {
    return openai_error_body(message, type, nullptr);
  }
};

}  // namespace

const ClientApi& responses_api() {
  static const ResponsesApi api;
  return api;
}

}  // namespace autoswarm::client_api
