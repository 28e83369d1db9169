// The client APIs' translations (client_api/client_api.h) on any input: the first byte picks
// the protocol (Responses, Messages, Ollama chat, Ollama generate), the rest is a request body.
// A request is refused with a reason or becomes chat completions that pass the proxy's own
// check; and the same JSON, taken as an upstream's chunk and reply, gives complete events
// whose data is JSON (SSE) or whole JSON lines (NDJSON), never a throw. The input, and the
// stream translated from it, are also read as a native reply of the protocol (whole, and as
// stream bytes split anywhere), never thrown on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/client_api/native_reply.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/util/json.h"

namespace {

using autoswarm::client_api::ClientApi;
using nlohmann::json;

const ClientApi& api_for(uint8_t selector) {
  switch (selector % 4) {
    case 0: return autoswarm::client_api::responses_api();
    case 1: return autoswarm::client_api::messages_api();
    case 2: return autoswarm::client_api::ollama_chat_api();
    default: return autoswarm::client_api::ollama_generate_api();
  }
}

// Every event of an SSE text or every line of an NDJSON text must hold a JSON value.
void check_framing(const ClientApi& api, const std::string& text) {
  const bool sse = api.stream_content_type() == "text/event-stream";
  const std::string_view separator = sse ? "\n\n" : "\n";
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find(separator, pos);
    if (end == std::string::npos) std::abort();  // a partial event or line
    std::string_view unit(text.data() + pos, end - pos);
    pos = end + separator.size();
    if (sse) {
      const size_t data = unit.find("data: ");
      if (unit.rfind("event: ", 0) != 0 || data == std::string_view::npos) std::abort();
      unit.remove_prefix(data + 6);
    }
    if (autoswarm::util::try_parse_json(unit).is_discarded()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ClientApi& api = api_for(data[0]);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  autoswarm::client_api::NativeStreamReader reader(api.protocol(), 4096);
  reader.feed(input.substr(0, input.size() / 3));
  reader.feed(input.substr(input.size() / 3));
  const json body = autoswarm::util::try_parse_json(input);
  if (body.is_discarded()) return 0;
  if (body.is_object()) {
    std::string problem;
    std::optional<json> chat = api.to_chat_request(body, &problem);
    if (!chat && problem.empty()) std::abort();                                 // a refusal says why
    if (chat && !autoswarm::llm::chat_request_problem(*chat).empty()) std::abort();  // a translation the proxy would refuse
    if (chat) (void)chat->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  autoswarm::client_api::ReplyContext context;
  context.model = "m";
  context.id = "fuzz";
  context.request = body;
  auto translator = api.stream_translator(context);
  std::string stream = translator->on_chunk(body);
  stream += translator->on_chunk(body);
  autoswarm::llm::ChatResponse reply;
  try {
    reply = autoswarm::llm::ChatResponse::from_json(body);
  } catch (const autoswarm::llm::ProtocolError&) {
  }
  stream += (data[0] & 4) ? translator->on_error(502, "cut", "upstream_error", reply) : translator->on_finish(reply);
  check_framing(api, stream);
  reader.feed(stream);
  reader.finish();
  if (reader.reply().content.size() > 4096) std::abort();  // the reader's bound
  if (autoswarm::client_api::read_native_reply(api.protocol(), body, 4096).content.size() > 4096) std::abort();
  (void)api.from_chat_reply(reply, context).dump(-1, ' ', false, json::error_handler_t::replace);
  if (autoswarm::util::try_parse_json(api.error_body(400, "bad \xff", "invalid_request_error")).is_discarded()) std::abort();
  return 0;
}
