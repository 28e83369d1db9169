#include "autoswarm/util/yaml_json.h"

#include <regex>
#include <stdexcept>

namespace autoswarm::util {

nlohmann::ordered_json yaml_to_json(const YAML::Node& node) {
  using json = nlohmann::ordered_json;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        if (kv.first.IsMap() || kv.first.IsSequence()) {
          throw std::invalid_argument("a key is a list or a mapping, and JSON keys are strings");
        }
        obj[kv.first.IsNull() ? std::string("null") : kv.first.Scalar()] = yaml_to_json(kv.second);
      }
      return obj;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;  // quoted or explicitly tagged: a string
  if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex int_re(R"([-+]?[0-9]+)");
  static const std::regex float_re(
      R"([-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+)");
  try {
    if (std::regex_match(s, int_re)) return std::stoll(s);
    if (std::regex_match(s, float_re)) return std::stod(s);
  } catch (const std::exception&) {
    // out of range: keep the text
  }
  return s;
}

}  // namespace autoswarm::util
