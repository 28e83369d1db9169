// `autoswarm bench`: the parent of the benchmark subcommands. Each one lives in its own file
// and is one row of kBenchSubcommands; adding one is a row here and a line in bench_commands.h.
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "bench_commands.h"

namespace autoswarm::cli {
namespace {

// Every bench subcommand, in the order `autoswarm bench --help` lists them.
const Subcommand kBenchSubcommands[] = {
    {"validate", "Check pipeline_spec.yaml and list every problem with its line",
     configure_bench_validate},
    {"run", "Run the pipeline (or oracle) over Harbor tasks in Docker and score every trial",
     configure_bench_run},
};

}  // namespace

Runner configure_bench(CLI::App& app) {
  app.fallthrough();  // global options are accepted after `bench <subcommand>` too
  auto runners = std::make_shared<std::vector<std::pair<CLI::App*, Runner>>>();
  for (const Subcommand& sub : kBenchSubcommands) {
    CLI::App* cmd = app.add_subcommand(sub.name, sub.summary);
    runners->emplace_back(cmd, sub.configure(*cmd));
  }
  return [runners, &app](const GlobalOptions& global) {
    for (auto& [cmd, runner] : *runners) {
      if (cmd->parsed()) return runner(global);
    }
    std::cerr << "error: `autoswarm bench` needs a subcommand\n" << app.help();
    return 2;
  };
}

}  // namespace autoswarm::cli
