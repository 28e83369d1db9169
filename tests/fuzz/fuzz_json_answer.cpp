// The JSON answer reader reflect and the bench judge use on model replies (llm/json_answer.h):
// never throws, and an answer it finds is JSON that serializes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "autoswarm/llm/json_answer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view reply(reinterpret_cast<const char*>(data), size);
  autoswarm::llm::JsonAnswer answer = autoswarm::llm::find_json_answer(reply);
  if (answer.value) {
    (void)answer.value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else if (answer.error.empty()) {
    std::abort();  // no answer must say why
  }
  // A filter that rejects everything: every candidate is tried, none may throw.
  answer = autoswarm::llm::find_json_answer(reply, [](const nlohmann::json&) { return false; });
  if (answer.value) std::abort();
  return 0;
}
