#include "autoswarm/util/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "autoswarm/util/error.h"

namespace autoswarm::util {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// Makes a directory entry durable: after a rename, the directory itself must be synced.
void fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Writes all of `content` to `fd`, resuming after short writes and signals; false (errno set)
// on failure.
bool write_all(int fd, std::string_view content) {
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw FileError("cannot read " + path.string() + ": it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read " + path.string() + ": " + errno_text());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw FileError("cannot read " + path.string() + ": " + errno_text());
  return out.str();
}

void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode) {
  fs::path dir = path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    throw FileError("cannot write " + path.string() + ": " + errno_text() +
                    " (is the directory writable?)");
  }
  auto fail = [&](const std::string& what) {
    std::string reason = errno_text();
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw FileError("cannot write " + path.string() + ": " + what + ": " + reason);
  };
  if (::fchmod(fd, mode) != 0) fail("chmod");
  if (!write_all(fd, content)) fail("write");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    std::string reason = errno_text();
    ::unlink(tmpl.c_str());
    throw FileError("cannot write " + path.string() + ": close: " + reason);
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    std::string reason = errno_text();
    ::unlink(tmpl.c_str());
    throw FileError("cannot write " + path.string() + ": rename: " + reason);
  }
  fsync_directory(dir);
}

std::vector<std::string> write_files_atomic(const fs::path& dir, const std::vector<NewFile>& files,
                                            unsigned mode) {
  std::vector<std::string> failures;
  if (files.empty()) return failures;
  auto fail = [&](const NewFile& f, const std::string& reason) {
    failures.push_back("cannot write " + (dir / f.name).string() + ": " + reason);
  };
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    std::string reason = errno_text();
    for (const auto& f : files) fail(f, reason);
    return failures;
  }
  // The names are unique within a batch and the temp name is derived from the final one, so
  // there is no random-name search (mkstemp) in what may be a directory of many files.
  std::vector<const NewFile*> staged;
  auto temp_name = [](const NewFile& f) { return "." + f.name + ".tmp"; };
  for (const auto& f : files) {
    std::string temp = temp_name(f);
    int fd = ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    bool ok = fd >= 0 && ::fchmod(fd, mode) == 0 && write_all(fd, f.content);
    std::string reason = ok ? "" : errno_text();
    if (fd >= 0 && ::close(fd) != 0 && ok) {
      ok = false;
      reason = errno_text();
    }
    if (ok) {
      staged.push_back(&f);
    } else {
      ::unlinkat(dir_fd, temp.c_str(), 0);
      fail(f, reason);
    }
  }
  // Contents durable before any rename makes them visible (no empty file after a power cut),
  // then the renames themselves.
  if (::syncfs(dir_fd) != 0) {
    std::string reason = errno_text();
    for (const NewFile* f : staged) {
      ::unlinkat(dir_fd, temp_name(*f).c_str(), 0);
      fail(*f, "sync: " + reason);
    }
    ::close(dir_fd);
    return failures;
  }
  for (const NewFile* f : staged) {
    if (::renameat(dir_fd, temp_name(*f).c_str(), dir_fd, f->name.c_str()) != 0) {
      std::string reason = errno_text();
      ::unlinkat(dir_fd, temp_name(*f).c_str(), 0);
      fail(*f, "rename: " + reason);
    }
  }
  ::fsync(dir_fd);
  ::close(dir_fd);
  return failures;
}

void ensure_directory(const fs::path& dir, unsigned mode) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (fs::exists(dir, ec)) {
    throw FileError(dir.string() + " exists but is not a directory; move it away or choose "
                    "another path");
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) ensure_directory(dir.parent_path(), 0755);
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    throw FileError("cannot create directory " + dir.string() + ": " + errno_text());
  }
  ::chmod(dir.c_str(), mode);  // mkdir honours the umask; the mode asked for is the one we want
}

FileLock::FileLock(const fs::path& path, Wait wait) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw FileError("cannot open lock file " + path.string() + ": " + errno_text());
  int op = LOCK_EX | (wait == Wait::kTry ? LOCK_NB : 0);
  while (::flock(fd_, op) != 0) {
    if (errno == EINTR) continue;
    int saved = errno;
    ::close(fd_);
    fd_ = -1;
    if (wait == Wait::kTry && saved == EWOULDBLOCK) return;
    throw FileError("cannot lock " + path.string() + ": " + std::strerror(saved));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace autoswarm::util
