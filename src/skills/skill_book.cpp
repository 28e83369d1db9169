#include "autoswarm/skills/skill_book.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::skills {
namespace {

[[noreturn]] void malformed(const std::string& origin, const YAML::Mark& mark, const std::string& what) {
  std::string where = origin;
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
  throw FileError(where + ": " + what + " (fix the file by hand, or move it away to start an empty skillbook)");
}

std::string scalar(const YAML::Node& node, const char* field, const std::string& origin, bool required) {
  const YAML::Node v = node[field];
  if (!v) {
    if (required) malformed(origin, node.Mark(), std::string("skill is missing the field '") + field + "'");
    return "";
  }
  if (!v.IsScalar()) malformed(origin, v.Mark(), std::string("field '") + field + "' must be a single value");
  return v.Scalar();
}

}  // namespace

SkillBook SkillBook::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return SkillBook{};
  return parse(util::read_file(path), path.string());
}

SkillBook SkillBook::parse(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    malformed(origin, e.mark, "not valid YAML: " + e.msg);
  }
  SkillBook book;
  if (!root || root.IsNull()) return book;  // an empty file is an empty book
  if (!root.IsMap()) malformed(origin, root.Mark(), "expected a map with 'version' and 'skills'");
  if (const YAML::Node v = root["version"]) {
    int version = 0;
    try {
      version = v.as<int>();
    } catch (const YAML::Exception&) {
      malformed(origin, v.Mark(), "'version' must be a number");
    }
    if (version != kVersion) {
      malformed(origin, v.Mark(), "unsupported skillbook version " + std::to_string(version) +
                                      " (this autoswarm reads version " + std::to_string(kVersion) + ")");
    }
  }
  const YAML::Node list = root["skills"];
  if (!list || list.IsNull()) return book;
  if (!list.IsSequence()) malformed(origin, list.Mark(), "'skills' must be a list");
  std::set<std::string> ids;
  for (const YAML::Node& node : list) {
    if (!node.IsMap()) malformed(origin, node.Mark(), "each skill must be a map with 'id' and 'text'");
    Skill s;
    s.id = scalar(node, "id", origin, true);
    s.text = scalar(node, "text", origin, true);
    s.created = scalar(node, "created", origin, false);
    if (s.id.empty()) malformed(origin, node.Mark(), "skill 'id' is empty");
    if (s.text.empty()) malformed(origin, node.Mark(), "skill '" + s.id + "' has an empty 'text'");
    if (!ids.insert(s.id).second) malformed(origin, node.Mark(), "duplicate skill id '" + s.id + "'");
    if (const YAML::Node src = node["sources"]) {
      if (src.IsScalar()) s.sources.push_back(src.Scalar());
      else if (src.IsSequence()) for (const auto& x : src) s.sources.push_back(x.as<std::string>(""));
      else if (!src.IsNull()) malformed(origin, src.Mark(), "'sources' must be a list of conversation ids");
    }
    if (const YAML::Node inj = node["injected"]) {
      try {
        s.injected = inj.as<int64_t>();
      } catch (const YAML::Exception&) {
        malformed(origin, inj.Mark(), "'injected' must be a whole number");
      }
    }
    book.skills.push_back(std::move(s));
  }
  return book;
}

std::string SkillBook::to_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << kVersion;
  out << YAML::Key << "skills" << YAML::Value << YAML::BeginSeq;
  for (const Skill& s : skills) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << s.id;
    out << YAML::Key << "text" << YAML::Value << YAML::DoubleQuoted << s.text;
    out << YAML::Key << "created" << YAML::Value << s.created;
    out << YAML::Key << "sources" << YAML::Value << YAML::Flow << s.sources;
    out << YAML::Key << "injected" << YAML::Value << s.injected;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace autoswarm::skills
