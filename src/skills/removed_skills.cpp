#include "autoswarm/skills/removed_skills.h"

#include <yaml-cpp/yaml.h>

#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::skills {
namespace {

[[noreturn]] void malformed(const std::string& origin, const YAML::Mark& mark, const std::string& what) {
  std::string where = origin;
  if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
  throw FileError(where + ": " + what +
                  " (fix the file by hand; it only records removed skills, so moving it away loses "
                  "nothing the proxy uses)");
}

std::string scalar(const YAML::Node& node, const char* field, const std::string& origin, bool required) {
  const YAML::Node v = node[field];
  if (!v || v.IsNull()) {
    if (required) malformed(origin, node.Mark(), std::string("entry is missing the field '") + field + "'");
    return "";
  }
  if (!v.IsScalar()) malformed(origin, v.Mark(), std::string("field '") + field + "' must be a single value");
  return v.Scalar();
}

}  // namespace

RemovedSkills RemovedSkills::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return RemovedSkills{};
  return parse(util::read_file(path), path.string());
}

RemovedSkills RemovedSkills::parse(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    malformed(origin, e.mark, "not valid YAML: " + e.msg);
  }
  RemovedSkills out;
  if (!root || root.IsNull()) return out;
  if (!root.IsMap()) malformed(origin, root.Mark(), "expected a map with 'version' and 'removed'");
  if (const YAML::Node v = root["version"]) {
    int version = 0;
    try {
      version = v.as<int>();
    } catch (const YAML::Exception&) {
      malformed(origin, v.Mark(), "'version' must be a number");
    }
    if (version != kVersion) {
      malformed(origin, v.Mark(), "unsupported version " + std::to_string(version) +
                                      " (this autoswarm reads version " + std::to_string(kVersion) + ")");
    }
  }
  const YAML::Node list = root["removed"];
  if (!list || list.IsNull()) return out;
  if (!list.IsSequence()) malformed(origin, list.Mark(), "'removed' must be a list");
  for (const YAML::Node& node : list) {
    if (!node.IsMap()) malformed(origin, node.Mark(), "each entry must be a map with 'id' and 'text'");
    RemovedSkill r;
    r.skill.id = scalar(node, "id", origin, true);
    r.skill.text = scalar(node, "text", origin, true);
    r.skill.created = scalar(node, "created", origin, false);
    if (const YAML::Node src = node["sources"]) {
      if (src.IsScalar()) r.skill.sources.push_back(src.Scalar());
      else if (src.IsSequence()) for (const auto& x : src) r.skill.sources.push_back(x.as<std::string>(""));
      else if (!src.IsNull()) malformed(origin, src.Mark(), "'sources' must be a list of conversation ids");
    }
    if (const YAML::Node inj = node["injected"]) {
      try {
        r.skill.injected = inj.as<int64_t>();
      } catch (const YAML::Exception&) {
        malformed(origin, inj.Mark(), "'injected' must be a whole number");
      }
    }
    r.removed_at = scalar(node, "removed_at", origin, false);
    r.removed_by = scalar(node, "removed_by", origin, false);
    r.reason = scalar(node, "reason", origin, false);
    out.removed.push_back(std::move(r));
  }
  return out;
}

std::string RemovedSkills::to_yaml() const {
  YAML::Emitter out;
  out << YAML::Comment("Skills removed from skills.yaml. `autoswarm skills restore ID` brings one back.");
  out << YAML::Newline;
  out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << kVersion;
  out << YAML::Key << "removed" << YAML::Value << YAML::BeginSeq;
  for (const RemovedSkill& r : removed) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << r.skill.id;
    out << YAML::Key << "text" << YAML::Value << YAML::DoubleQuoted << r.skill.text;
    out << YAML::Key << "created" << YAML::Value << r.skill.created;
    out << YAML::Key << "sources" << YAML::Value << YAML::Flow << r.skill.sources;
    out << YAML::Key << "injected" << YAML::Value << r.skill.injected;
    out << YAML::Key << "removed_at" << YAML::Value << r.removed_at;
    out << YAML::Key << "removed_by" << YAML::Value << r.removed_by;
    out << YAML::Key << "reason" << YAML::Value << YAML::DoubleQuoted << r.reason;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace autoswarm::skills
