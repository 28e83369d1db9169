// The audit file beside skills.yaml, `skills.removed.yaml`: every skill taken out of the
// skillbook, with when, why and by what, so nothing learned is lost and a removal can be undone.
//
//   version: 1
//   removed:
//     - id: sk-3f2a9c
//       text: "Give the command first, then explain."
//       created: 2026-11-29T14:03:11Z
//       sources: [20261129T140102.123Z-8c1d3e]
//       injected: 12
//       removed_at: 2026-12-01T09:00:00Z
//       removed_by: prune            # prune | skills remove | skills clear
//       reason: "contradicts sk-77aa01"
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "autoswarm/skills/skill_book.h"

namespace autoswarm::skills {

struct RemovedSkill {
  Skill skill;
  std::string removed_at;  // UTC, ISO-8601
  std::string removed_by;  // "prune", "skills remove", "skills clear"
  std::string reason;
};

struct RemovedSkills {
  static constexpr int kVersion = 1;
  std::vector<RemovedSkill> removed;  // oldest removal first

  // A missing file is an empty list; a malformed one throws FileError naming file and line.
  static RemovedSkills load(const std::filesystem::path& path);
  static RemovedSkills parse(const std::string& yaml_text, const std::string& origin);
  std::string to_yaml() const;
};

}  // namespace autoswarm::skills
