#include "autoswarm/skills/removed_skills.h"

#include <yaml-cpp/yaml.h>

#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "skill_yaml.h"

namespace autoswarm::skills {
namespace {

SkillYamlReader audit_file_reader(const std::string& origin) {
  return SkillYamlReader(origin, "audit file",
                         "fix the file by hand; it only records removed skills, so moving it away loses "
                         "nothing the proxy uses");
}

}  // namespace

RemovedSkills RemovedSkills::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return RemovedSkills{};
  return parse(util::read_file(path), path.string());
}

RemovedSkills RemovedSkills::parse(const std::string& yaml_text, const std::string& origin) {
  const SkillYamlReader reader = audit_file_reader(origin);
  RemovedSkills out;
  for (const YAML::Node& node : reader.list(reader.root(yaml_text, kVersion, "removed"), "removed")) {
    RemovedSkill r;
    r.skill = reader.skill(node, "entry");
    r.removed_at = reader.scalar(node, "removed_at", false, "entry");
    r.removed_by = reader.scalar(node, "removed_by", false, "entry");
    r.reason = reader.scalar(node, "reason", false, "entry");
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
    emit_skill_fields(out, r.skill);
    out << YAML::Key << "removed_at" << YAML::Value << r.removed_at;
    out << YAML::Key << "removed_by" << YAML::Value << r.removed_by;
    out << YAML::Key << "reason" << YAML::Value << YAML::DoubleQuoted << r.reason;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace autoswarm::skills
