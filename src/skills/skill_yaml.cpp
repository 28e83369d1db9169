#include "skill_yaml.h"

#include "autoswarm/util/error.h"
#include "autoswarm/util/text.h"

namespace autoswarm::skills {

void SkillYamlReader::fail(const YAML::Mark& mark, const std::string& what) const {
  std::string where = origin_;
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
  throw FileError(where + ": " + what + " (" + fix_ + ")");
}

YAML::Node SkillYamlReader::root(const std::string& yaml_text, int supported, const char* list_key) const {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    fail(e.mark, "not valid YAML: " + e.msg);
  }
  if (!root || root.IsNull()) return YAML::Node();
  if (!root.IsMap()) fail(root.Mark(), std::string("expected a map with 'version' and '") + list_key + "'");
  if (const YAML::Node v = root["version"]) {
    int version = 0;
    try {
      version = v.as<int>();
    } catch (const YAML::Exception&) {
      fail(v.Mark(), "'version' must be a number");
    }
    if (version != supported) {
      fail(v.Mark(), "unsupported " + document_ + " version " + std::to_string(version) + " (this autoswarm reads version " +
                         std::to_string(supported) + ")");
    }
  }
  return root;
}

YAML::Node SkillYamlReader::list(const YAML::Node& root, const char* key) const {
  if (!root) return YAML::Node();
  const YAML::Node list = root[key];
  if (!list || list.IsNull()) return YAML::Node();
  if (!list.IsSequence()) fail(list.Mark(), std::string("'") + key + "' must be a list");
  return list;
}

std::string SkillYamlReader::scalar(const YAML::Node& node, const char* field, bool required,
                                    const char* entry) const {
  const YAML::Node v = node[field];
  if (!v || v.IsNull()) {
    if (required) fail(node.Mark(), std::string(entry) + " is missing the field '" + field + "'");
    return "";
  }
  if (!v.IsScalar()) fail(v.Mark(), std::string("field '") + field + "' must be a single value");
  utf8_text(v, std::string("field '") + field + "'");
  return v.Scalar();
}

void SkillYamlReader::utf8_text(const YAML::Node& scalar, const std::string& what) const {
  // Skills travel in JSON (the proxy's requests upstream), which holds only UTF-8; and what is
  // not UTF-8 would not be written back as read.
  const std::string& text = scalar.Scalar();
  if (const size_t valid = util::utf8_valid_prefix(text); valid < text.size()) {
    fail(scalar.Mark(), what + " is not UTF-8 (byte " + std::to_string(valid) + " of its text)");
  }
}

Skill SkillYamlReader::skill(const YAML::Node& node, const char* entry) const {
  if (!node.IsMap()) fail(node.Mark(), std::string("each ") + entry + " must be a map with 'id' and 'text'");
  Skill s;
  s.id = scalar(node, "id", true, entry);
  s.text = scalar(node, "text", true, entry);
  s.created = scalar(node, "created", false, entry);
  if (s.id.empty()) fail(node.Mark(), std::string(entry) + " 'id' is empty");
  if (s.text.empty()) fail(node.Mark(), std::string(entry) + " '" + s.id + "' has an empty 'text'");
  if (const YAML::Node src = node["sources"]) {
    if (src.IsScalar()) {
      utf8_text(src, "'sources'");
      s.sources.push_back(src.Scalar());
    } else if (src.IsSequence()) {
      for (const auto& x : src) {
        if (x.IsScalar()) utf8_text(x, "'sources'");
        s.sources.push_back(x.as<std::string>(""));
      }
    } else if (!src.IsNull()) fail(src.Mark(), "'sources' must be a list of conversation ids");
  }
  if (const YAML::Node inj = node["injected"]) {
    try {
      s.injected = inj.as<int64_t>();
    } catch (const YAML::Exception&) {
      fail(inj.Mark(), "'injected' must be a whole number");
    }
  }
  if (const YAML::Node always = node["always"]; always && !always.IsNull()) {
    try {
      s.always = always.as<bool>();
    } catch (const YAML::Exception&) {
      fail(always.Mark(), "'always' must be true or false");
    }
  }
  return s;
}

void emit_skill_fields(YAML::Emitter& out, const Skill& s) {
  out << YAML::Key << "id" << YAML::Value << s.id;
  out << YAML::Key << "text" << YAML::Value << YAML::DoubleQuoted << s.text;
  out << YAML::Key << "created" << YAML::Value << s.created;
  out << YAML::Key << "sources" << YAML::Value << YAML::Flow << s.sources;
  out << YAML::Key << "injected" << YAML::Value << s.injected;
  if (s.always) out << YAML::Key << "always" << YAML::Value << true;
}

}  // namespace autoswarm::skills
