#include "command.h"

#include <iostream>
#include <memory>
#include <utility>
#include <vector>

namespace autoswarm::cli {

Runner configure_group(CLI::App& app, std::span<const Subcommand> table) {
  app.fallthrough();  // global options are accepted after `<group> <subcommand>` too
  auto runners = std::make_shared<std::vector<std::pair<CLI::App*, Runner>>>();
  for (const Subcommand& sub : table) {
    CLI::App* cmd = app.add_subcommand(sub.name, sub.summary);
    runners->emplace_back(cmd, sub.configure(*cmd));
  }
  return [runners, &app](const GlobalOptions& global) {
    for (auto& [cmd, runner] : *runners) {
      if (cmd->parsed()) return runner(global);
    }
    std::cerr << "error: `autoswarm " << app.get_name() << "` needs a subcommand\n" << app.help();
    return 2;
  };
}

}  // namespace autoswarm::cli
