#include "autoswarm/skills/skill_book_watcher.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "autoswarm/util/error.h"

namespace autoswarm::skills {

SkillBookWatcher::SkillBookWatcher(std::filesystem::path path) : path_(std::move(path)) {
  seen_ = stamp();
  book_ = std::make_shared<const IndexedSkillBook>(SkillBook::load(path_));
}

SkillBookWatcher::Stamp SkillBookWatcher::stamp() const {
  Stamp s;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return s;
  s.exists = true;
  s.inode = st.st_ino;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = st.st_size;
  return s;
}

std::shared_ptr<const IndexedSkillBook> SkillBookWatcher::current() {
  Stamp now = stamp();
  std::lock_guard lock(mu_);
  if (now == seen_) return book_;
  seen_ = now;
  try {
    book_ = std::make_shared<const IndexedSkillBook>(SkillBook::load(path_));
    spdlog::info("reloaded {}: {} skills", path_.string(), book_->book.skills.size());
  } catch (const Error& e) {
    spdlog::error("{} — keeping the {} skills loaded before", e.what(), book_->book.skills.size());
  }
  return book_;
}

}  // namespace autoswarm::skills
