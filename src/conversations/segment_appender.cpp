#include "segment_appender.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::conversations {
namespace fs = std::filesystem;

namespace {

// How many full segments of a day one append steps over, at most, looking for room.
constexpr unsigned kMaxPartsSkipped = 1000;

bool flock_retrying(int fd, int op) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

// The offset just past the file's last '\n' (0 when it has none): where a torn last line
// starts. -1 (errno set) when the file cannot be read.
off_t end_of_last_line(int fd, off_t size) {
  char buf[65536];
  off_t end = size;
  while (end > 0) {
    const off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof buf));
    ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return -1;
    }
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buf[i] == '\n') return start + i + 1;
    }
    end = start;
  }
  return 0;
}

// The last byte of the file, '\n' for an empty one (nothing to end).
bool ends_in_newline(int fd, off_t size) {
  if (size == 0) return true;
  char last = '\n';
  return ::pread(fd, &last, 1, size - 1) != 1 || last == '\n';
}

}  // namespace

SegmentAppender::SegmentAppender(fs::path dir, uint64_t segment_bytes)
    : dir_(std::move(dir)), segment_bytes_(std::max<uint64_t>(segment_bytes, 1)) {}

SegmentAppender::~SegmentAppender() { close(); }

fs::path SegmentAppender::current() const {
  return day_.empty() ? fs::path() : dir_ / SegmentName{day_, part_}.file_name();
}

void SegmentAppender::close() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock too
  fd_ = -1;
}

void SegmentAppender::open(const std::string& day, unsigned part) {
  close();
  const fs::path path = dir_ / SegmentName{day, part}.file_name();
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw FileError("cannot open " + path.string() + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw FileError("cannot append to " + path.string() + ": " + what + ": " + reason);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("stat");
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    fail("not a regular file");
  }
  if (st.st_size == 0) util::sync_directory(dir_);  // possibly just created: make its name durable
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    // No other writer has it open, so a torn last line is what a crash left: cut it off.
    if (!ends_in_newline(fd, st.st_size)) {
      const off_t keep = end_of_last_line(fd, st.st_size);
      if (keep < 0) fail("read");
      if (::ftruncate(fd, keep) != 0) fail("truncate");
      spdlog::warn("{}: cut off a torn last line of {} bytes (a write interrupted by a crash)", path.string(),
                   st.st_size - keep);
    }
    if (!flock_retrying(fd, LOCK_SH)) fail("lock");
  } else if (errno != EWOULDBLOCK || !flock_retrying(fd, LOCK_SH)) {
    fail("lock");
  }
  fd_ = fd;
  day_ = day;
  part_ = part;
}

void SegmentAppender::append(const std::string& day, std::string_view lines) {
  if (lines.empty()) return;
  if (fd_ < 0 || day != day_) {
    unsigned newest = 0;
    for (const SegmentName& s : list_segments(dir_)) {
      if (s.day == day) newest = std::max(newest, s.part);
    }
    open(day, newest);
  }
  struct stat st {};
  for (unsigned skipped = 0;; ++skipped) {
    if (::fstat(fd_, &st) != 0) {
      const std::string reason = std::strerror(errno);
      const std::string name = current().string();
      close();
      throw FileError("cannot append to " + name + ": stat: " + reason);
    }
    if (st.st_nlink == 0) {  // removed or replaced since it was opened: open the name again
      open(day_, part_);
      continue;
    }
    const bool full = st.st_size > 0 && static_cast<uint64_t>(st.st_size) + lines.size() > segment_bytes_;
    if (!full || skipped >= kMaxPartsSkipped) break;
    open(day_, part_ + 1);
  }
  // A torn last line left by a writer that died while this one had the segment open: end it, so
  // that it costs one malformed line rather than this batch's first record too.
  std::string joined;
  if (!ends_in_newline(fd_, st.st_size)) {
    joined.reserve(lines.size() + 1);
    joined.append("\n").append(lines);
    lines = joined;
  }
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    const std::string name = current().string();
    close();
    throw FileError("cannot append to " + name + ": " + what + ": " + reason);
  };
  if (!util::write_all(fd_, lines)) fail("write");  // one write(2), unless the kernel writes less
  if (::fdatasync(fd_) != 0) fail("fdatasync");
}

}  // namespace autoswarm::conversations
