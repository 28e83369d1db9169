// Keeps the proxy's copy of skills.yaml current: re-reads the file when its modification time
// or size changes, so edits and `reflect` runs take effect without a restart.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "autoswarm/skills/skill_book.h"
#include "autoswarm/skills/skill_injection.h"

namespace autoswarm::skills {

class SkillBookWatcher {
 public:
  // Loads the file now; a malformed file throws FileError (start refuses to run on it).
  explicit SkillBookWatcher(std::filesystem::path path);

  // The current book and its index, re-read first when the file changed. A change that does not
  // parse keeps the previous book and logs the error once (the writer is atomic, so this means a
  // bad hand edit).
  std::shared_ptr<const IndexedSkillBook> current();

 private:
  // The file's identity and version: an atomic rewrite always gets a new inode.
  struct Stamp {
    bool exists = false;
    uint64_t inode = 0;
    int64_t mtime_ns = 0;
    int64_t size = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp stamp() const;

  std::filesystem::path path_;
  std::mutex mu_;
  Stamp seen_;
  std::shared_ptr<const IndexedSkillBook> book_;
};

}  // namespace autoswarm::skills
