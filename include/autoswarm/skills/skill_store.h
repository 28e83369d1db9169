// Every change to skills.yaml and its audit file skills.removed.yaml. Each change takes the lock
// file `skills.lock` beside them, re-reads both files, applies itself and writes atomically — so
// concurrent writers (reflect, `autoswarm skills`, an editor saving by hand between two runs)
// never lose each other's changes, and the proxy, which only reads, never sees half a file.
// A malformed file stops the change with a FileError; it is never overwritten.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoswarm/skills/removed_skills.h"
#include "autoswarm/skills/skill_book.h"
#include "autoswarm/util/data_dir.h"

namespace autoswarm::skills {

class SkillStore {
 public:
  // The skillbook, audit and lock files of `dir`.
  explicit SkillStore(const util::DataDir& dir);

  const std::filesystem::path& skills_file() const { return skills_file_; }
  const std::filesystem::path& removed_file() const { return removed_file_; }  // skills.removed.yaml
  const std::filesystem::path& lock_file() const { return lock_file_; }        // skills.lock

  // Plain reads, without the lock (every writer replaces the files atomically).
  SkillBook load() const;
  RemovedSkills load_removed() const;

  // A fresh id, "sk-" and six hex digits, that neither file uses.
  static std::string new_id(const SkillBook& book, const RemovedSkills& removed);

  // Called under the lock with the current book; returns why the skill must not be added.
  using Veto = std::function<std::optional<std::string>(const SkillBook&)>;
  struct AddResult {
    std::optional<Skill> added;  // the new skill (id, created now), unless vetoed
    std::string vetoed;          // the veto's reason
  };
  // Appends a skill with a new id. Throws Error when `text` is blank.
  AddResult add(const std::string& text, std::vector<std::string> sources, const Veto& veto = {});

  struct Removal {
    std::string id;
    std::string reason;
  };
  enum class Unknown { kIgnore, kError };
  // Moves skills to the audit file with `by` ("prune", "skills remove") and each reason. The
  // audit file is written first: a crash in between leaves a skill in both files, never in
  // neither (a later removal of the same id replaces its audit entry). Unknown ids are skipped,
  // or with Unknown::kError throw Error naming them before anything changes.
  std::vector<Skill> remove(const std::vector<Removal>& removals, const std::string& by, Unknown unknown);
  // Moves every skill to the audit file; returns them.
  std::vector<Skill> clear(const std::string& by, const std::string& reason);
  // Brings a removed skill back (with its id, text, sources and counters) and drops its audit
  // entry; the skillbook is written first. Throws Error when the audit file has no such id.
  Skill restore(const std::string& id);

  // Sets each skill's `injected` to counts[id] (0 when absent). Writes only when a value
  // changed; returns whether it wrote.
  bool set_injected_counts(const std::unordered_map<std::string, int64_t>& counts);

  // Deletes the temp files a writer killed mid-write left beside the two files (under the lock,
  // where no live writer can own one).
  void tidy() const;

 private:
  void write_book(const SkillBook& book) const;
  void write_removed(const RemovedSkills& removed) const;
  void remove_stale_temp_files() const;

  std::filesystem::path skills_file_;
  std::filesystem::path removed_file_;
  std::filesystem::path lock_file_;
};

}  // namespace autoswarm::skills
