// The data directory: where conversations/ and skills.yaml live. Chosen by --home, else
// $AUTOSWARM_HOME, else ~/.autoswarm; created with mode 0700 on first use because the chats
// in it are private. The one place that knows the names of the files in it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace autoswarm::util {

class DataDir {
 public:
  // Resolves the directory without touching the disk. `flag` is --home, when given.
  static DataDir resolve(const std::optional<std::string>& flag);

  explicit DataDir(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  // The conversation log: day segments of one JSON line per chat (conversations::ConversationLog;
  // conversation_files.h names the files in it).
  std::filesystem::path conversations() const { return root_ / "conversations"; }
  // Which conversations reflect has reviewed (conversations::ReviewLedger).
  std::filesystem::path review_ledger_file() const { return conversations() / "reviewed.jsonl"; }
  // The skillbook, its audit file of removed skills, and the lock every change takes
  // (skills::SkillStore).
  std::filesystem::path skills_file() const { return root_ / "skills.yaml"; }
  std::filesystem::path removed_skills_file() const { return root_ / "skills.removed.yaml"; }
  std::filesystem::path skills_lock_file() const { return root_ / "skills.lock"; }
  // Held for a whole `autoswarm reflect` run, so that two runs never overlap.
  std::filesystem::path reflect_lock_file() const { return root_ / "reflect.lock"; }

  // Creates the directory (mode 0700) if it does not exist yet. Throws FileError otherwise.
  void ensure() const;

 private:
  std::filesystem::path root_;
};

}  // namespace autoswarm::util
