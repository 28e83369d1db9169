// Files a user owns are never left half-written: whole-file writes go to a temp file in the
// same directory, are fsynced and renamed over the target; writers serialise on a lock file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace autoswarm::util {

// Reads a whole file. Throws FileError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

// Replaces `path` atomically with `content`: readers see the old file or the new one, never a
// mix, and a crash at any point leaves one of the two. `mode` is applied before the rename.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       unsigned mode = 0600);

// Creates `dir` (and parents) if missing; a directory this call creates gets `mode`.
// Throws FileError when it exists as a non-directory or cannot be created.
void ensure_directory(const std::filesystem::path& dir, unsigned mode = 0700);

// An exclusive advisory lock (flock) on `path`, created if needed; released on destruction
// or when the process dies, so a crash never leaves a stale lock behind.
class FileLock {
 public:
  enum class Wait { kBlock, kTry };
  FileLock(const std::filesystem::path& path, Wait wait = Wait::kBlock);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // False when Wait::kTry found the lock held by another process.
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace autoswarm::util
