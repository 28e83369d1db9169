// `autoswarm`: parses the global options, dispatches to one subcommand from the table below,
// and turns errors into "error: <message>" with exit code 1 (2 for usage errors).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "autoswarm/util/error.h"
#include "autoswarm/util/logging.h"
#include "autoswarm/version.h"
#include "command.h"

namespace autoswarm::cli {
namespace {

// Every subcommand, in the order `--help` lists them.
const Subcommand kSubcommands[] = {
    {"start", "Run the skill-injecting OpenAI-compatible proxy (default 127.0.0.1:8080)", configure_start},
    {"doctor", "Check the local LLM servers and the setup, with copy-paste fixes", configure_doctor},
    {"bench", "Benchmark agent pipelines on Harbor tasks (validate, run, resume, eval, record, compare, plot, init)", configure_bench},
    {"reflect", "Learn skills from new conversations and prune wrong ones (for cron)", configure_reflect},
    {"skills", "List, add, remove, restore or clear the learned skills", configure_skills},
    {"conversations", "List and show the logged conversations; migrate older versions' files", configure_conversations},
};

constexpr int kUsageExit = 2;

int usage_error(const std::string& message) {
  std::cerr << "error: " << message << "\n"
            << "usage: autoswarm [--home DIR] [-v] [--log-level LEVEL] [--no-color] <subcommand> "
               "[options]\n"
            << "Run 'autoswarm --help' for the list of subcommands.\n";
  return kUsageExit;
}

// The first argument CLI11 could not place: an unknown subcommand or global option. (CLI11
// reports both as "a subcommand is required", which does not tell the user what was wrong.)
std::optional<std::string> unrecognised_argument(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("-")) {
      std::string name = arg.substr(0, arg.find('='));
      const CLI::Option* opt = nullptr;
      try {
        opt = app.get_option(name);
      } catch (const CLI::OptionNotFound&) {
        return "unknown option '" + name + "'";
      }
      if (opt->get_type_size() > 0 && arg.find('=') == std::string::npos) ++i;  // skip its value
      continue;
    }
    // A known subcommand: what went wrong is in its own arguments, and CLI11's message says it.
    try {
      app.get_subcommand(arg);
      return std::nullopt;
    } catch (const CLI::OptionNotFound&) {
    }
    return "unknown subcommand '" + arg + "'";
  }
  return std::nullopt;
}

int run(int argc, char** argv) {
  CLI::App app("AutoSwarm: a skill-learning proxy and agent-pipeline benchmark for local LLMs",
               "autoswarm");
  app.set_version_flag("--version", std::string("autoswarm ") + kVersion,
                       "Print the version and exit");
  app.fallthrough();  // global options are accepted after the subcommand name too
  app.require_subcommand(1);

  GlobalOptions global;
  app.add_option("--home", global.home,
                 "Data directory for conversations/ and skills.yaml "
                 "(env AUTOSWARM_HOME; default ~/.autoswarm)");
  app.add_flag("-v,--verbose", global.verbose, "Log debug details (same as --log-level debug)");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.add_flag("--no-color", global.no_color, "No colour (also off when NO_COLOR is set or "
                                              "output is not a terminal)");

  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const Subcommand& sub : kSubcommands) {
    CLI::App* cmd = app.add_subcommand(sub.name, sub.summary);
    runners.emplace_back(cmd, sub.configure(*cmd));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::RequiredError& e) {
    if (argc == 1) {  // plain `autoswarm`: show what there is
      std::cerr << app.help();
      return kUsageExit;
    }
    return usage_error(unrecognised_argument(app, argc, argv).value_or(e.what()));
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  global.color = util::color_enabled(STDOUT_FILENO, global.no_color);
  util::setup_logging(global.verbose && global.log_level == "info" ? "debug" : global.log_level,
                      util::color_enabled(STDERR_FILENO, global.no_color));
  for (auto& [cmd, runner] : runners) {
    if (cmd->parsed()) return runner(global);
  }
  return usage_error("no subcommand given");
}

}  // namespace
}  // namespace autoswarm::cli

int main(int argc, char** argv) {
  try {
    return autoswarm::cli::run(argc, argv);
  } catch (const autoswarm::UsageError& e) {
    return autoswarm::cli::usage_error(e.what());
  } catch (const autoswarm::Error& e) {
    std::fflush(stdout);
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "error: internal error: " << e.what()
              << " (please report this with the command you ran)\n";
    return 1;
  }
}
