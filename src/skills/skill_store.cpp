#include "autoswarm/skills/skill_store.h"

#include <algorithm>
#include <random>
#include <set>
#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/text.h"
#include "autoswarm/util/utc_time.h"

namespace autoswarm::skills {
namespace fs = std::filesystem;

namespace {

// Replaces any audit entry for the same id (a skill removed, restored and removed again, or one
// left in both files by a crash) so the audit file holds one entry per id.
void record_removal(RemovedSkills& removed, const Skill& s, const std::string& at, const std::string& by,
                    const std::string& reason) {
  std::erase_if(removed.removed, [&](const RemovedSkill& r) { return r.skill.id == s.id; });
  removed.removed.push_back({s, at, by, reason});
}

}  // namespace

SkillStore::SkillStore(const util::DataDir& dir)
    : skills_file_(dir.skills_file()), removed_file_(dir.removed_skills_file()), lock_file_(dir.skills_lock_file()) {}

SkillBook SkillStore::load() const { return SkillBook::load(skills_file_); }
RemovedSkills SkillStore::load_removed() const { return RemovedSkills::load(removed_file()); }

std::string SkillStore::new_id(const SkillBook& book, const RemovedSkills& removed) {
  std::set<std::string> used;
  for (const Skill& s : book.skills) used.insert(s.id);
  for (const RemovedSkill& r : removed.removed) used.insert(r.skill.id);
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (;;) {
    char id[16];
    std::snprintf(id, sizeof id, "sk-%06x", static_cast<unsigned>(rng() & 0xffffff));
    if (!used.contains(id)) return id;
  }
}

void SkillStore::remove_stale_temp_files() const {
  // Only lock holders write, so a temp file found under the lock is left by a writer that died.
  std::error_code ec;
  for (const std::string& name : {skills_file_.filename().string(), removed_file().filename().string()}) {
    const std::string prefix = "." + name + ".tmp-";
    for (fs::directory_iterator it(skills_file_.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename().string().starts_with(prefix)) fs::remove(it->path(), ec);
    }
  }
}

void SkillStore::write_book(const SkillBook& book) const {
  util::write_file_atomic(skills_file_, book.to_yaml(), 0600);
}

void SkillStore::write_removed(const RemovedSkills& removed) const {
  util::write_file_atomic(removed_file(), removed.to_yaml(), 0600);
}

SkillStore::AddResult SkillStore::add(const std::string& text, std::vector<std::string> sources, const Veto& veto) {
  const std::string clean(util::trim(text));
  if (clean.empty()) throw Error("a skill needs some text");
  util::ensure_directory(skills_file_.parent_path(), 0700);
  util::FileLock lock(lock_file());
  SkillBook book = load();
  RemovedSkills removed = load_removed();
  if (veto) {
    if (auto reason = veto(book)) return {std::nullopt, *reason};
  }
  remove_stale_temp_files();
  Skill s{new_id(book, removed), clean, util::utc_timestamp(), std::move(sources), 0};
  book.skills.push_back(s);
  write_book(book);
  return {std::move(s), ""};
}

std::vector<Skill> SkillStore::remove(const std::vector<Removal>& removals, const std::string& by, Unknown unknown) {
  if (removals.empty()) return {};
  util::ensure_directory(skills_file_.parent_path(), 0700);
  util::FileLock lock(lock_file());
  SkillBook book = load();
  RemovedSkills removed = load_removed();
  std::vector<std::string> missing;
  for (const Removal& r : removals) {
    bool found = std::any_of(book.skills.begin(), book.skills.end(), [&](const Skill& s) { return s.id == r.id; });
    if (!found) missing.push_back(r.id);
  }
  if (!missing.empty() && unknown == Unknown::kError) {
    std::string list;
    for (const auto& id : missing) list += (list.empty() ? "'" : ", '") + id + "'";
    throw Error("no skill " + list + " in " + skills_file_.string() +
                " (`autoswarm skills list` shows the ids)");
  }
  const std::string at = util::utc_timestamp();
  std::vector<Skill> out;
  for (const Removal& r : removals) {
    auto it = std::find_if(book.skills.begin(), book.skills.end(), [&](const Skill& s) { return s.id == r.id; });
    if (it == book.skills.end()) continue;
    record_removal(removed, *it, at, by, r.reason);
    out.push_back(*it);
    book.skills.erase(it);
  }
  if (out.empty()) return out;
  remove_stale_temp_files();
  write_removed(removed);
  write_book(book);
  return out;
}

std::vector<Skill> SkillStore::clear(const std::string& by, const std::string& reason) {
  util::ensure_directory(skills_file_.parent_path(), 0700);
  util::FileLock lock(lock_file());
  SkillBook book = load();
  RemovedSkills removed = load_removed();
  if (book.skills.empty()) return {};
  const std::string at = util::utc_timestamp();
  for (const Skill& s : book.skills) record_removal(removed, s, at, by, reason);
  remove_stale_temp_files();
  write_removed(removed);
  std::vector<Skill> out = std::move(book.skills);
  write_book(SkillBook{});
  return out;
}

Skill SkillStore::restore(const std::string& id) {
  util::ensure_directory(skills_file_.parent_path(), 0700);
  util::FileLock lock(lock_file());
  SkillBook book = load();
  RemovedSkills removed = load_removed();
  auto entry = std::find_if(removed.removed.rbegin(), removed.removed.rend(),
                            [&](const RemovedSkill& r) { return r.skill.id == id; });
  if (entry == removed.removed.rend()) {
    throw Error("no removed skill '" + id + "' in " + removed_file().string() +
                " (`autoswarm skills list --removed` shows what can be restored)");
  }
  Skill s = entry->skill;
  remove_stale_temp_files();
  auto in_book = std::find_if(book.skills.begin(), book.skills.end(), [&](const Skill& k) { return k.id == id; });
  if (in_book == book.skills.end()) {
    book.skills.push_back(s);
    write_book(book);
  } else {
    s = *in_book;  // already back (a restore interrupted between its two writes): finish it
  }
  removed.removed.erase(std::next(entry).base());
  write_removed(removed);
  return s;
}

void SkillStore::tidy() const {
  std::error_code ec;
  if (!fs::is_directory(skills_file_.parent_path(), ec)) return;
  util::FileLock lock(lock_file());
  remove_stale_temp_files();
}

bool SkillStore::set_injected_counts(const std::unordered_map<std::string, int64_t>& counts) {
  std::error_code ec;
  if (!fs::exists(skills_file_, ec)) return false;
  util::FileLock lock(lock_file());
  SkillBook book = load();
  bool changed = false;
  for (Skill& s : book.skills) {
    auto it = counts.find(s.id);
    int64_t n = it == counts.end() ? 0 : it->second;
    if (s.injected != n) {
      s.injected = n;
      changed = true;
    }
  }
  if (!changed) return false;
  remove_stale_temp_files();
  write_book(book);
  return true;
}

}  // namespace autoswarm::skills
