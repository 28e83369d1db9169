// A conversation record as reflect reads it, a segment line or an older version's <id>.json
// (conversations/conversation_files.h): either a Conversation or a FileError naming the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    autoswarm::conversations::Conversation c =
        autoswarm::conversations::parse_conversation(text, "conversations/x.json");
    (void)c.failed();
    (void)c.messages.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const autoswarm::FileError&) {
  }
  return 0;
}
