// The skillbook: the lessons learned from past conversations, kept in `skills.yaml` in the data
// directory. Human-readable and hand-editable:
//
//   version: 1
//   skills:
//     - id: sk-3f2a9c            # short and stable; never reused
//       text: "When the user asks for a shell one-liner, give the command first, then explain."
//       created: 2026-11-29T14:03:11Z
//       sources: [2026-11-29T14-01-02Z-8c1d]   # conversation ids it was learned from
//       injected: 12             # requests it was injected into (derived from the logs)
//       always: true             # optional: injected into every request, relevant or not
//
// The proxy only reads it (and re-reads it when it changes); `reflect` and `skills` write it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace autoswarm::skills {

struct Skill {
  std::string id;
  std::string text;
  std::string created;               // UTC, ISO-8601 ("2026-11-29T14:03:11Z")
  std::vector<std::string> sources;  // conversation ids
  int64_t injected = 0;
  bool always = false;  // injected whatever the request is about (written only when true)
};

struct SkillBook {
  static constexpr int kVersion = 1;
  std::vector<Skill> skills;

  // Reads `path`. A missing file is an empty book. A malformed file throws FileError naming the
  // file, line and field, and what to do — it is never silently replaced.
  static SkillBook load(const std::filesystem::path& path);
  // Parses YAML text; `origin` names the file in error messages.
  static SkillBook parse(const std::string& yaml_text, const std::string& origin);
  // The YAML text (stable field order, so hand edits diff cleanly).
  std::string to_yaml() const;
};

}  // namespace autoswarm::skills
