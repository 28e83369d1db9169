// UTC timestamps as AutoSwarm writes them in its files ("2026-11-29T14:03:11Z"), and the short
// ages ("5m", "3h", "2d") that tables show.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace autoswarm::util {

// "2026-11-29T14:03:11Z": UTC, to the second.
std::string utc_timestamp(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

// "2026-11-29T14:03:11.123Z": UTC, to the millisecond (logs and trajectories, where order matters).
std::string utc_timestamp_ms(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

// Reads "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds and a "Z" or "+00:00" suffix
// (what utc_timestamp and the conversation log write). Nothing for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(std::string_view text);

// A compact age: "now" under a minute, then "12m", "5h", "3d", "7w", "2y".
std::string short_age(std::chrono::system_clock::duration age);

}  // namespace autoswarm::util
