#include "autoswarm/util/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>

#include "autoswarm/util/error.h"

namespace autoswarm::util {

bool color_enabled(int fd, bool disabled_by_flag) {
  if (disabled_by_flag) return false;
  if (const char* no_color = std::getenv("NO_COLOR"); no_color != nullptr && *no_color != '\0') {
    return false;
  }
  return ::isatty(fd) == 1;
}

void setup_logging(const std::string& level, bool color) {
  auto parsed = spdlog::level::from_str(level);
  // from_str maps anything unknown to "off"; only "off" itself may mean off.
  if (parsed == spdlog::level::off && level != "off") {
    throw UsageError("unknown log level '" + level +
                     "' (use one of: trace, debug, info, warn, error, off)");
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      color ? spdlog::color_mode::always : spdlog::color_mode::never);
  auto logger = std::make_shared<spdlog::logger>("autoswarm", sink);
  logger->set_pattern(color ? "%^%l%$: %v" : "%l: %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

}  // namespace autoswarm::util
