// Files a user owns are never left half-written: whole-file writes go to a temp file in the
// same directory, are fsynced and renamed over the target; writers serialise on a lock file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace autoswarm::util {

// Reads a whole file. Throws FileError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

// Reads a whole file that must be a regular file itself: a symbolic link at `path` is not
// followed and a FIFO, socket or device is not opened for longer than it takes to see what it
// is (it never blocks). Throws FileError naming the path and what it is instead. For files that
// something untrusted may have put there (what a container left, a job directory).
std::string read_regular_file(const std::filesystem::path& path);

// What a file-system entry is, in words: "a regular file", "a symbolic link", "a FIFO", …
// (never following a link). "missing" when there is nothing at `path`.
std::string describe_file_type(const std::filesystem::path& path);

// Makes the tree under `dir` hold regular files and directories only: removes every symbolic
// link, FIFO, socket and device below it (never following a link) and gives what stays
// `file_mode` or `dir_mode` (no set-user-ID bits from elsewhere). Returns what it removed, one
// "relative/path (a symbolic link)" each. Throws FileError when `dir` cannot be walked.
std::vector<std::string> keep_only_regular_files(const std::filesystem::path& dir,
                                                 unsigned file_mode = 0644,
                                                 unsigned dir_mode = 0755);

// Replaces `path` atomically with `content`: readers see the old file or the new one, never a
// mix, and a crash at any point leaves one of the two. `mode` is applied before the rename.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       unsigned mode = 0600);

// Writes all of `content` to the descriptor, resuming after short writes and signals. False
// (errno set) when a write fails; what was written before that stays written.
bool write_all(int fd, std::string_view content);

// Makes the entries of `dir` durable (fsync of the directory itself): after a file was created
// or renamed in it. Best effort: a directory that cannot be opened is left as it is.
void sync_directory(const std::filesystem::path& dir);

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
