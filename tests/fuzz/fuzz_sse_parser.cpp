// The SSE parser (llm/sse_parser.h) over any bytes, split at offsets the input chooses: the
// events must not depend on where the chunks were cut.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "autoswarm/llm/errors.h"
#include "autoswarm/llm/sse_parser.h"

using autoswarm::llm::SseEvent;
using autoswarm::llm::SseParser;

namespace {

// The events of `bytes` fed in pieces of the sizes `cuts` gives (cycled); "!" when the parser
// refused the stream.
std::vector<std::string> events_of(std::string_view bytes, std::string_view cuts) {
  std::vector<std::string> out;
  SseParser parser;
  auto on_event = [&](SseEvent&& e) { out.push_back(e.event + "\n" + e.id + "\n" + e.data); };
  try {
    size_t i = 0, k = 0;
    while (i < bytes.size()) {
      size_t n = cuts.empty() ? bytes.size() : 1 + static_cast<unsigned char>(cuts[k++ % cuts.size()]) % 16;
      parser.feed(bytes.substr(i, n), on_event);
      i += n;
    }
    parser.finish(on_event);
  } catch (const autoswarm::llm::ProtocolError&) {
    out.push_back("!");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte says how many of the next bytes choose the chunk sizes.
  if (size == 0) return 0;
  const size_t ncuts = std::min<size_t>(data[0] % 8, size - 1);
  const std::string_view cuts(reinterpret_cast<const char*>(data) + 1, ncuts);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1 + ncuts, size - 1 - ncuts);
  if (events_of(bytes, {}) != events_of(bytes, cuts)) std::abort();
  return 0;
}
