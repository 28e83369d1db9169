// `autoswarm conversations migrate`: look after the conversation log in the data directory.
// Each subcommand is one row of kConversationsSubcommands over conversations/ in the core.
#include <spdlog/spdlog.h>

#include <iostream>

#include "autoswarm/conversations/legacy_migration.h"
#include "autoswarm/util/data_dir.h"
#include "command.h"

namespace autoswarm::cli {
namespace {

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
              << " (see the warnings above); fix or remove them, then run migrate again\n";
    return 1;
  };
}

// Every conversations subcommand, in the order `autoswarm conversations --help` lists them.
const Subcommand kConversationsSubcommands[] = {
    {"migrate", "Fold the one-file-per-chat records of older versions into the day segments", configure_migrate},
};

}  // namespace

Runner configure_conversations(CLI::App& app) { return configure_group(app, kConversationsSubcommands); }

}  // namespace autoswarm::cli
