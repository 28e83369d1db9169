// `--env-file`: KEY=VALUE lines (dotenv style) that resolve ${VAR} in task.toml's env tables
// before the process environment does, so secrets need not be exported into the shell.
#pragma once

#include <filesystem>

#include "autoswarm/bench/spec/task.h"

namespace autoswarm::bench {

// Reads `KEY=VALUE` lines: blank lines and `#` comments are skipped, an `export ` prefix is
// allowed, and a value in matching single or double quotes loses them (no escapes, no
// expansion). Throws FileError naming the file and line for anything else.
EnvMap load_env_file(const std::filesystem::path& path);

}  // namespace autoswarm::bench
