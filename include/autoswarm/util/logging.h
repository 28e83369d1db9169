// Logging goes through spdlog to stderr; stdout is kept for each command's result. This sets
// the level and whether colour is used.
#pragma once

#include <string>

namespace autoswarm::util {

// True when colour may be written to `fd`: not disabled, a terminal, and NO_COLOR unset.
bool color_enabled(int fd, bool disabled_by_flag);

// Installs the stderr logger. `level` is one of trace, debug, info, warn, error, off; throws
// UsageError for anything else.
void setup_logging(const std::string& level, bool color);

}  // namespace autoswarm::util
