#include "autoswarm/util/json.h"

namespace autoswarm::util {
namespace {

// Thrown from the parser callback the moment an array or object opens past the limit, so the
// parse stops there (nlohmann's parser is iterative; only what is built from it recurses).
struct TooDeep {
  size_t depth;
};

template <typename Json>
Json parse_bounded(std::string_view text, const JsonParseOptions& options) {
  const size_t max_depth = options.max_depth;
  auto limit = [max_depth](int depth, typename Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= max_depth) {
      throw TooDeep{max_depth};
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/true,
                       options.ignore_comments);
  } catch (const TooDeep& e) {
    throw JsonError("JSON nested deeper than " + std::to_string(e.depth) + " levels");
  } catch (const typename Json::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
    if (size_t close = what.find("] "); what.starts_with("[json.exception.") && close != std::string::npos) {
      what = what.substr(close + 2);
    }
    throw JsonError(what);
  }
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const JsonParseOptions& options) {
  return parse_bounded<nlohmann::json>(text, options);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text, const JsonParseOptions& options) {
  return parse_bounded<nlohmann::ordered_json>(text, options);
}

nlohmann::json try_parse_json(std::string_view text, std::string* why,
                              const JsonParseOptions& options) {
  try {
    return parse_json(text, options);
  } catch (const JsonError& e) {
    if (why) *why = e.what();
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

std::string json_kind(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::array: return "list";
    case nlohmann::json::value_t::object: return "object";
    default: return "number";
  }
}

std::string string_field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& object_field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::vector<std::string> string_list_field(const nlohmann::json& object, std::string_view key) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string field_text(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

}  // namespace autoswarm::util
