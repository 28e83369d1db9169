// What every subcommand file provides to the table in main.cpp: a function that adds the
// subcommand's flags to its CLI11 app and returns the code that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>

namespace autoswarm::cli {

// Options every subcommand honours; parsed before the subcommand runs.
struct GlobalOptions {
  std::optional<std::string> home;  // --home, else $AUTOSWARM_HOME, else ~/.autoswarm
  bool verbose = false;
  std::string log_level = "info";
  bool no_color = false;
  bool color = false;  // derived: --no-color, NO_COLOR and whether stdout is a terminal
};

// Runs the parsed subcommand; returns the process exit code.
using Runner = std::function<int(const GlobalOptions&)>;

struct Subcommand {
  const char* name;
  const char* summary;
  Runner (*configure)(CLI::App& app);
};

// For a subcommand that only holds subcommands (`bench`, `conversations`): adds each row of
// `table` to `app` and returns the runner of whichever was given; without one it prints the
// help and returns 2 ("`autoswarm <name>` needs a subcommand").
Runner configure_group(CLI::App& app, std::span<const Subcommand> table);

// The subcommands
Runner configure_doctor(CLI::App& app);
Runner configure_start(CLI::App& app);
Runner configure_bench(CLI::App& app);
Runner configure_reflect(CLI::App& app);
Runner configure_skills(CLI::App& app);
Runner configure_conversations(CLI::App& app);

}  // namespace autoswarm::cli
