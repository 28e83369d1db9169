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

}  // namespace

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

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

std::string describe_file_type(const fs::path& path) {
  std::error_code ec;
  switch (fs::symlink_status(path, ec).type()) {
    case fs::file_type::not_found: return "missing";
    case fs::file_type::regular: return "a regular file";
    case fs::file_type::directory: return "a directory";
    case fs::file_type::symlink: return "a symbolic link";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::block: return "a block device";
    case fs::file_type::character: return "a character device";
    default: return ec ? "unreadable (" + ec.message() + ")" : "not a regular file";
  }
}

std::string read_regular_file(const fs::path& path) {
  // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      throw FileError("refusing to read " + path.string() + ": it is a symbolic link");
    }
    throw FileError("cannot read " + path.string() + ": " + errno_text());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileError("refusing to read " + path.string() + ": it is " + describe_file_type(path) +
                    ", not a regular file");
  }
  std::string content;
  content.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string reason = errno_text();
      ::close(fd);
      throw FileError("cannot read " + path.string() + ": " + reason);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

std::vector<std::string> keep_only_regular_files(const fs::path& dir, unsigned file_mode,
                                                 unsigned dir_mode) {
  std::vector<std::string> removed;
  std::error_code ec;
  // The default options never follow a directory link: a link is an entry like any other.
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) throw FileError("cannot read " + dir.string() + ": " + ec.message());
  std::vector<fs::path> unwanted;
  for (; it != end; it.increment(ec)) {
    if (ec) throw FileError("cannot read " + dir.string() + ": " + ec.message());
    const fs::path& path = it->path();
    fs::file_type type = it->symlink_status(ec).type();
    if (type == fs::file_type::directory || type == fs::file_type::regular) {
      fs::permissions(path,
                      static_cast<fs::perms>(type == fs::file_type::directory ? dir_mode : file_mode),
                      fs::perm_options::replace | fs::perm_options::nofollow, ec);
      continue;
    }
    removed.push_back(path.lexically_relative(dir).generic_string() + " (" + describe_file_type(path) +
                      ")");
    unwanted.push_back(path);
  }
  for (const auto& path : unwanted) {
    if (!fs::remove(path, ec) && ec) {
      throw FileError("cannot remove " + path.string() + ": " + ec.message());
    }
  }
  return removed;
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
  sync_directory(dir);
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
