// `autoswarm conversations list|show|migrate`: look at and look after the conversation log in
// the data directory. Each subcommand is one row of kConversationsSubcommands, over the reader
// (conversation_files.h) and the migration (legacy_migration.h) in the core.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/conversations/legacy_migration.h"
#include "autoswarm/reflect/transcript.h"
#include "autoswarm/util/data_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"
#include "autoswarm/util/utc_time.h"
#include "command.h"

namespace autoswarm::cli {
namespace {

using Clock = std::chrono::system_clock;

// --since: a day ("2026-11-29", from its midnight UTC) or a UTC time.
Clock::time_point parse_since(const std::string& text) {
  if (auto t = util::parse_utc_timestamp(text.size() == 10 ? text + "T00:00:00Z" : text)) return *t;
  throw UsageError("--since: expected a day (2026-11-29) or a UTC time (2026-11-29T14:00:00Z), got '" + text + "'");
}

std::vector<std::string> skills_of(const nlohmann::json& record) {
  std::vector<std::string> ids;
  if (auto it = record.find("injected_skills"); it != record.end() && it->is_array()) {
    for (const auto& id : *it) {
      if (id.is_string()) ids.push_back(id.get<std::string>());
    }
  }
  return ids;
}

int status_of(const nlohmann::json& record) {
  auto it = record.find("status");
  return it != record.end() && it->is_number_integer() ? it->get<int>() : 200;
}

struct ListFlags {
  std::optional<std::string> since;
  bool json = false;
};

Runner configure_list(CLI::App& app) {
  auto f = std::make_shared<ListFlags>();
  app.add_option("--since", f->since, "Only the conversations started since DATE (2026-11-29, or 2026-11-29T14:00:00Z)");
  app.add_flag("--json", f->json, "Print a JSON list for scripts");
  return [f](const GlobalOptions& global) {
    const std::optional<Clock::time_point> since = f->since ? std::optional(parse_since(*f->since)) : std::nullopt;
    const util::DataDir data = util::DataDir::resolve(global.home);
    size_t shown = 0;
    std::string out;
    auto print = [&](bool last) {  // in pieces: a long log is never held as text whole
      if (!last && out.size() < (64u << 10)) return;
      std::cout << out << std::flush;
      out.clear();
    };
    conversations::for_each_record(data.conversations(), [&](conversations::LoggedRecord& r) {
      const std::string started = util::string_field(r.record, "started_at");
      if (since) {
        auto t = util::parse_utc_timestamp(started);
        if (!t || *t < *since) return;
      }
      const std::string model = util::string_field(r.record, "model");
      const std::vector<std::string> skills = skills_of(r.record);
      if (f->json) {
        nlohmann::ordered_json j = {{"id", r.id},         {"started_at", started},
                                    {"model", model},     {"status", status_of(r.record)},
                                    {"error", util::string_field(r.record, "error")}, {"skills", skills}};
        out += (shown == 0 ? "[\n  " : ",\n  ") + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        if (shown == 0) out += fmt::format("{:<27}  {:<19}  {:<24}  {:>6}  {}\n", "ID", "STARTED", "MODEL", "STATUS", "SKILLS");
        std::string when = started.substr(0, 19);
        if (when.size() > 10) when[10] = ' ';
        out += fmt::format("{:<27}  {:<19}  {:<24}  {:>6}  {}\n", r.id, when, util::fit_chars(util::one_line(model), 24),
                           status_of(r.record), skills.empty() ? "-" : util::join(skills, ","));
      }
      ++shown;
      print(false);
    });
    if (f->json) {
      out += shown == 0 ? "[]\n" : "\n]\n";
    } else if (shown == 0) {
      out += "no conversations" + std::string(since ? " since " + *f->since : "") + " in " + data.conversations().string() + "\n";
    }
    print(true);
    return 0;
  };
}

Runner configure_show(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  app.add_option("id", *id, "The conversation's id, as `conversations list` shows it");
  return [id](const GlobalOptions& global) {
    // Checked here: CLI11's own message for a missing argument would name the wrong word.
    if (id->empty()) throw UsageError("`conversations show` needs a conversation id (`autoswarm conversations list` shows them)");
    const util::DataDir data = util::DataDir::resolve(global.home);
    std::optional<conversations::Conversation> found;
    conversations::for_each_record(data.conversations(), [&](conversations::LoggedRecord& r) {
      if (r.id != *id) return;
      found = conversations::Conversation::from_json(r.record, r.where.origin());
      found->id = r.id;
    });
    if (!found) {
      throw Error("no conversation " + *id + " in " + data.conversations().string() +
                  " (`autoswarm conversations list` shows the ids)");
    }
    const conversations::Conversation& c = *found;
    std::cout << "id       " << c.id << "\n"
              << "started  " << (c.started_at.empty() ? "-" : c.started_at) << "\n"
              << "model    " << (c.model.empty() ? "-" : c.model) << "\n"
              << "status   " << c.status << (c.error.empty() ? "" : " (" + util::one_line(c.error) + ")") << "\n"
              << "skills   " << (c.injected_skills.empty() ? "-" : util::join(c.injected_skills, ", ")) << "\n\n"
              << reflect::render_transcript(c, std::numeric_limits<size_t>::max(), "assistant") << "\n";
    return 0;
  };
}

Runner configure_migrate(CLI::App& app) {
  app.footer(
      "Moves the records older versions wrote (one <id>.json file per chat) into the day segments\n"
      "(YYYY-MM-DD.jsonl) the proxy appends to now, and removes the files. Safe to interrupt and run\n"
      "again. Prints migrated=N; files that cannot be read stay, each named on stderr.");
  return [](const GlobalOptions& global) {
    const util::DataDir data = util::DataDir::resolve(global.home);
    const conversations::MigrationResult r = conversations::migrate_legacy_records(data);
    if (r.already_there > 0) {
      spdlog::info("{} file{} held records already in segments (an interrupted migration); removed", r.already_there,
                   r.already_there == 1 ? "" : "s");
    }
    std::cout << "migrated=" << r.migrated;
    if (!r.left.empty()) std::cout << " left=" << r.left.size();
    std::cout << "\n";
    if (r.left.empty()) return 0;
    std::cerr << "error: " << r.left.size() << " file" << (r.left.size() == 1 ? " was" : "s were")
              << " left where " << (r.left.size() == 1 ? "it is" : "they are")
              << " (see the warnings above); fix or remove " << (r.left.size() == 1 ? "it" : "them")
              << ", then run migrate again\n";
    return 1;
  };
}

// Every conversations subcommand, in the order `autoswarm conversations --help` lists them.
const Subcommand kConversationsSubcommands[] = {
    {"list", "Show the logged conversations, oldest first: id, started, model, status, skills", configure_list},
    {"show", "Show one conversation as the client saw it", configure_show},
    {"migrate", "Fold the one-file-per-chat records of older versions into the day segments", configure_migrate},
};

}  // namespace

Runner configure_conversations(CLI::App& app) { return configure_group(app, kConversationsSubcommands); }

}  // namespace autoswarm::cli
