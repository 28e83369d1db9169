// Internal to the skills module: reading and writing the YAML of skills.yaml and its audit file
// skills.removed.yaml, with errors that name file:line and say what to do.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "autoswarm/skills/skill_book.h"

namespace autoswarm::skills {

class SkillYamlReader {
 public:
  // `origin` names the file in messages, `document` what it is ("skillbook"); `fix` ends every
  // message ("fix the file by hand, …").
  SkillYamlReader(std::string origin, std::string document, std::string fix)
      : origin_(std::move(origin)), document_(std::move(document)), fix_(std::move(fix)) {}

  // The document's root map, or a null node for an empty file. Checks `version` (when present)
  // against `supported`; `list_key` names the list the map holds, for messages.
  YAML::Node root(const std::string& yaml_text, int supported, const char* list_key) const;
  // The list under `key` (null node when absent or empty).
  YAML::Node list(const YAML::Node& root, const char* key) const;
  // A skill's fields: id and text required; created, sources and injected optional.
  Skill skill(const YAML::Node& node, const char* entry) const;
  // A scalar field; "" when absent and not required.
  std::string scalar(const YAML::Node& node, const char* field, bool required, const char* entry) const;

  // Fails naming `what` when the scalar's text is not UTF-8.
  void utf8_text(const YAML::Node& scalar, const std::string& what) const;

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) const;

 private:
  std::string origin_;
  std::string document_;
  std::string fix_;
};

// Emits the fields of `s` (the caller opened the map), in the order people read them.
void emit_skill_fields(YAML::Emitter& out, const Skill& s);

}  // namespace autoswarm::skills
