// Internal to client_api: the small readers every native reply reader shares (Responses and
// Messages in native_reply.cpp, Ollama's in native_reply_ollama.cpp). Lenient by design: a
// field of the wrong type reads as absent, never as a throw.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/util/text.h"

namespace autoswarm::client_api::native {

using nlohmann::json;

// What a tool call costs beyond its arguments (its id, name and place in the maps): charged to
// the budget, so that a stream of countless empty calls is bounded too.
constexpr size_t kCallOverheadBytes = 256;

inline const json& at(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

inline std::string text_at(const json& object, const char* key) {
  const json& value = at(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

inline std::optional<int64_t> int_at(const json& object, const char* key) {
  const json& value = at(object, key);
  if (value.is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), INT64_MAX));
  if (value.is_number_integer()) return value.get<int64_t>();
  return std::nullopt;
}

// Appends what fits of `text` in `*left` on a UTF-8 boundary and counts the rest in `*cut`.
inline void append_within(std::string& out, std::string_view text, size_t* left, size_t* cut) {
  std::string_view kept = util::utf8_head(text, *left);
  out += kept;
  *left -= kept.size();
  *cut += text.size() - kept.size();
  if (kept.size() < text.size()) *left = 0;  // never a later, smaller piece after a cut
}

// Takes a call's overhead from the budget; false (the call not kept) when it does not fit.
inline bool charge_call(const std::string& id, const std::string& name, size_t* left, size_t* cut) {
  const size_t cost = kCallOverheadBytes + id.size() + name.size();
  if (cost > *left) {
    *cut += id.size() + name.size();
    *left = 0;
    return false;
  }
  *left -= cost;
  return true;
}

// Ollama's reply objects (native_reply_ollama.cpp): a whole reply, and one object of a stream
// added to `r` (true when it was the last, `done: true`).
llm::ChatResponse read_ollama_reply(Protocol protocol, const json& body, size_t max_kept_bytes);
bool add_ollama_object(Protocol protocol, const json& object, llm::ChatResponse& r, size_t* left);

inline std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace autoswarm::client_api::native
