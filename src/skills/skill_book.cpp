#include "autoswarm/skills/skill_book.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "skill_yaml.h"

namespace autoswarm::skills {
namespace {

SkillYamlReader skillbook_reader(const std::string& origin) {
  return SkillYamlReader(origin, "skillbook", "fix the file by hand, or move it away to start an empty skillbook");
}

}  // namespace

SkillBook SkillBook::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return SkillBook{};
  return parse(util::read_file(path), path.string());
}

SkillBook SkillBook::parse(const std::string& yaml_text, const std::string& origin) {
  const SkillYamlReader reader = skillbook_reader(origin);
  SkillBook book;
  std::set<std::string> ids;
  for (const YAML::Node& node : reader.list(reader.root(yaml_text, kVersion, "skills"), "skills")) {
    Skill s = reader.skill(node, "skill");
    if (!ids.insert(s.id).second) reader.fail(node.Mark(), "duplicate skill id '" + s.id + "'");
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
    emit_skill_fields(out, s);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace autoswarm::skills
