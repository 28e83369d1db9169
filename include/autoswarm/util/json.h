// Reading JSON that comes from outside the process — request bodies, upstream replies, model
// answers, files under jobs/ and conversations/ — always through parse_json: nesting is bounded,
// so a hostile document can never drive a recursive walk (the serializer, our own readers) past
// the stack. And the two field readers every module needs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/util/error.h"

namespace autoswarm::util {

// Deeper than any request, reply or file AutoSwarm reads legitimately has (chat messages with
// tool calls and JSON-schema parameters nest about a dozen levels).
inline constexpr size_t kMaxJsonDepth = 256;

// Text that is not JSON, or JSON nested deeper than the limit. The message says which, with
// nlohmann's position for a syntax error ("... at line 1, column 7").
class JsonError : public Error {
 public:
  using Error::Error;
};

struct JsonParseOptions {
  size_t max_depth = kMaxJsonDepth;
  bool ignore_comments = false;  // // and /* */ comments (what small models write into JSON)
};

// Parses `text`. Throws JsonError.
nlohmann::json parse_json(std::string_view text, const JsonParseOptions& options = {});
nlohmann::ordered_json parse_ordered_json(std::string_view text, const JsonParseOptions& options = {});

// The same without throwing: a discarded value (is_discarded()) when `text` is not JSON or is
// too deep, with the reason in `*why` when given.
nlohmann::json try_parse_json(std::string_view text, std::string* why = nullptr,
                              const JsonParseOptions& options = {});

// object[key] when `object` is an object holding a string there; "" otherwise.
std::string string_field(const nlohmann::json& object, std::string_view key);

// object[key] when `object` is an object holding an object there; an empty object otherwise.
const nlohmann::json& object_field(const nlohmann::json& object, std::string_view key);

// The strings of the list at object[key] (other elements skipped); empty when there is none.
std::vector<std::string> string_list_field(const nlohmann::json& object, std::string_view key);

// What kind of value `j` is, in the words of an error message: "null", "boolean", "string",
// "number", "list" or "object" ("messages must be a list (got object)").
std::string json_kind(const nlohmann::json& j);

// object[key] as text: a string as it is, null or absent as "", anything else as compact JSON.
std::string field_text(const nlohmann::json& object, std::string_view key);

}  // namespace autoswarm::util
