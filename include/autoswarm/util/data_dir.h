// The data directory: where conversations/ and skills.yaml live. Chosen by --home, else
// $AUTOSWARM_HOME, else ~/.autoswarm; created with mode 0700 on first use because the chats
// in it are private.
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
  std::filesystem::path conversations() const { return root_ / "conversations"; }
  std::filesystem::path skills_file() const { return root_ / "skills.yaml"; }

  // Creates the directory (mode 0700) if it does not exist yet. Throws FileError otherwise.
  void ensure() const;

 private:
  std::filesystem::path root_;
};

}  // namespace autoswarm::util
