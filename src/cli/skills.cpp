// `autoswarm skills list|add|remove|restore|clear`: look at and edit the skillbook by hand.
// Every change goes through SkillStore (locked, atomic, removals kept in skills.removed.yaml).
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "autoswarm/reflect/novelty.h"
#include "autoswarm/skills/skill_store.h"
#include "autoswarm/util/data_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/text.h"
#include "autoswarm/util/utc_time.h"
#include "command.h"

namespace autoswarm::cli {
namespace {

using json = nlohmann::ordered_json;

struct SkillsFlags {
  CLI::App* list = nullptr;
  CLI::App* add = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* restore = nullptr;
  CLI::App* clear = nullptr;
  bool json = false;
  bool removed = false;
  std::optional<std::string> text;
  std::vector<std::string> ids;
  std::string reason;
  std::optional<std::string> restore_id;
  bool yes = false;
};

skills::SkillStore store_for(const GlobalOptions& global) {
  return skills::SkillStore(util::DataDir::resolve(global.home));
}

std::string age_of(const std::string& timestamp) {
  auto t = util::parse_utc_timestamp(timestamp);
  if (!t) return "?";
  return util::short_age(std::chrono::system_clock::now() - *t);
}

// Columns left for the text on a terminal; 0 (no limit) when stdout is not one.
size_t text_width(size_t used) {
  if (::isatty(STDOUT_FILENO) != 1) return 0;
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
  return ws.ws_col > used + 20 ? ws.ws_col - used : 20;
}

std::string pad(const std::string& s, size_t width, bool right = false) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

json skill_json(const skills::Skill& s) {
  return {{"id", s.id}, {"text", s.text}, {"created", s.created}, {"sources", s.sources}, {"injected", s.injected}};
}

int list_skills(const SkillsFlags& f, const GlobalOptions& global) {
  skills::SkillStore store = store_for(global);
  const std::string bold = global.color ? "\033[1m" : "", plain = global.color ? "\033[0m" : "";
  if (f.removed) {
    const skills::RemovedSkills removed = store.load_removed();
    if (f.json) {
      json out = json::array();
      for (const auto& r : removed.removed) {
        json j = skill_json(r.skill);
        j["removed_at"] = r.removed_at;
        j["removed_by"] = r.removed_by;
        j["reason"] = r.reason;
        out.push_back(j);
      }
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    if (removed.removed.empty()) {
      std::cout << "no removed skills (" << store.removed_file().string() << " has none)\n";
      return 0;
    }
    size_t id_w = 2, by_w = 2;
    for (const auto& r : removed.removed) {
      id_w = std::max(id_w, r.skill.id.size());
      by_w = std::max(by_w, r.removed_by.size());
    }
    std::cout << bold << pad("ID", id_w) << "  REMOVED  " << pad("BY", by_w) << "  REASON / TEXT" << plain << "\n";
    const size_t width = text_width(id_w + by_w + 13);
    for (const auto& r : removed.removed) {
      std::cout << pad(r.skill.id, id_w) << "  " << pad(age_of(r.removed_at), 7) << "  " << pad(r.removed_by, by_w) << "  "
                << util::fit_chars(util::one_line(r.reason.empty() ? "-" : r.reason), width) << "\n"
                << std::string(id_w + by_w + 13, ' ') << util::fit_chars(util::one_line(r.skill.text), width) << "\n";
    }
    return 0;
  }

  const skills::SkillBook book = store.load();
  if (f.json) {
    json out = json::array();
    for (const auto& s : book.skills) out.push_back(skill_json(s));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (book.skills.empty()) {
    std::cout << "no skills yet in " << store.skills_file().string()
              << " (`autoswarm reflect` learns them from conversations; `autoswarm skills add TEXT` adds one)\n";
    return 0;
  }
  size_t id_w = 2;
  for (const auto& s : book.skills) id_w = std::max(id_w, s.id.size());
  const size_t width = text_width(id_w + 2 + 4 + 2 + 8 + 2);
  std::string out;
  out.reserve(book.skills.size() * 100);
  out += bold + pad("ID", id_w) + "  " + pad("AGE", 4, true) + "  INJECTED  TEXT" + plain + "\n";
  for (const auto& s : book.skills) {
    out += pad(s.id, id_w) + "  " + pad(age_of(s.created), 4, true) + "  " + pad(std::to_string(s.injected), 8, true) +
           "  " + util::fit_chars(util::one_line(s.text), width) + "\n";
  }
  std::cout << out;
  return 0;
}

int add_skill(const SkillsFlags& f, const GlobalOptions& global) {
  skills::SkillStore store = store_for(global);
  const std::string norm = reflect::normalise(*f.text);
  std::string similar;
  auto result = store.add(*f.text, {}, [&](const skills::SkillBook& book) -> std::optional<std::string> {
    double best = 0;
    for (const auto& s : book.skills) {
      const std::string other = reflect::normalise(s.text);
      if (other == norm) return "the skillbook already has this skill as " + s.id;
      double score = reflect::similarity(norm, other);
      if (score > best && score >= reflect::kDefaultSimilarityThreshold) {
        best = score;
        similar = s.id;
      }
    }
    return std::nullopt;
  });
  if (!result.added) throw Error(result.vetoed);
  if (!similar.empty()) std::cerr << "note: it is similar to " << similar << " (`autoswarm skills list` shows both)\n";
  std::cout << result.added->id << "\n";
  return 0;
}

int remove_skills(const SkillsFlags& f, const GlobalOptions& global) {
  skills::SkillStore store = store_for(global);
  std::vector<skills::SkillStore::Removal> removals;
  for (const auto& id : f.ids) removals.push_back({id, f.reason});
  auto removed = store.remove(removals, "skills remove", skills::SkillStore::Unknown::kError);
  for (const auto& s : removed) std::cout << "removed " << s.id << ": " << util::one_line(s.text) << "\n";
  std::cerr << "(kept in " << store.removed_file().string() << "; `autoswarm skills restore ID` brings one back)\n";
  return 0;
}

int restore_skill(const SkillsFlags& f, const GlobalOptions& global) {
  skills::SkillStore store = store_for(global);
  skills::Skill s = store.restore(*f.restore_id);
  std::cout << "restored " << s.id << ": " << util::one_line(s.text) << "\n";
  return 0;
}

int clear_skills(const SkillsFlags& f, const GlobalOptions& global) {
  skills::SkillStore store = store_for(global);
  const size_t count = store.load().skills.size();
  if (count == 0) {
    std::cout << "the skillbook is already empty\n";
    return 0;
  }
  if (!f.yes) {
    if (::isatty(STDIN_FILENO) != 1) {
      throw Error("`skills clear` would remove all " + std::to_string(count) +
                  " skills; not on a terminal, so it cannot ask: pass --yes to confirm");
    }
    std::cerr << "Remove all " << count << " skills from " << store.skills_file().string() << "? They stay in "
              << store.removed_file().filename().string() << " and can be restored one by one. [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::cerr << "nothing removed\n";
      return 1;
    }
  }
  auto removed = store.clear("skills clear", "cleared by hand");
  std::cout << "cleared " << removed.size() << " skill" << (removed.size() == 1 ? "" : "s") << " (kept in "
            << store.removed_file().string() << ")\n";
  return 0;
}

}  // namespace

Runner configure_skills(CLI::App& app) {
  auto f = std::make_shared<SkillsFlags>();
  app.fallthrough();
  f->list = app.add_subcommand("list", "Show the skills: id, age, times injected, text");
  f->list->add_flag("--json", f->json, "Print JSON for scripts");
  f->list->add_flag("--removed", f->removed, "Show the removed skills (skills.removed.yaml) instead");
  f->add = app.add_subcommand("add", "Add a skill by hand; prints its new id");
  f->add->add_option("text", f->text, "The lesson, e.g. \"Give the shell command first, then explain it.\"");
  f->remove = app.add_subcommand("remove", "Move skills to skills.removed.yaml");
  f->remove->add_option("id", f->ids, "Skill id(s), as `skills list` shows them");
  f->remove->add_option("--reason", f->reason, "Why, recorded in the audit file");
  f->restore = app.add_subcommand("restore", "Bring a removed skill back");
  f->restore->add_option("id", f->restore_id, "Skill id, as `skills list --removed` shows it");
  f->clear = app.add_subcommand("clear", "Remove every skill (they stay in skills.removed.yaml)");
  f->clear->add_flag("-y,--yes", f->yes, "Do not ask for confirmation");
  for (CLI::App* sub : {f->list, f->add, f->remove, f->restore, f->clear}) sub->fallthrough();

  return [f](const GlobalOptions& global) {
    if (f->list->parsed()) return list_skills(*f, global);
    // Required arguments are checked here: CLI11's own message for them would name the wrong
    // word once main.cpp has turned it into "unknown subcommand".
    if (f->add->parsed()) {
      if (!f->text) throw UsageError("`skills add` needs the text of the skill, e.g. skills add \"Use tabs in Makefiles.\"");
      return add_skill(*f, global);
    }
    if (f->remove->parsed()) {
      if (f->ids.empty()) throw UsageError("`skills remove` needs at least one skill id (`autoswarm skills list` shows them)");
      return remove_skills(*f, global);
    }
    if (f->restore->parsed()) {
      if (!f->restore_id) throw UsageError("`skills restore` needs a skill id (`autoswarm skills list --removed` shows them)");
      return restore_skill(*f, global);
    }
    if (f->clear->parsed()) return clear_skills(*f, global);
    throw UsageError("`autoswarm skills` needs one of: list, add, remove, restore, clear");
  };
}

}  // namespace autoswarm::cli
