// The per-request switches a client sets in headers: X-Autoswarm-Skills (inject skills or not),
// X-Autoswarm-No-Log (keep this exchange out of the log) and X-Autoswarm-Internal (a call
// AutoSwarm makes itself: neither). They accept the spellings people
// type; anything else is refused with a message naming the header and the values it takes,
// because a privacy switch that silently does nothing is worse than an error.
#pragma once

#include <optional>
#include <string>

#include <httplib.h>

namespace autoswarm::proxy {

struct RequestSwitches {
  bool skills = true;  // X-Autoswarm-Skills: off|false|0|no|none turns injection off
  bool log = true;     // X-Autoswarm-No-Log: 1|true|yes|on keeps the exchange out of the log
};

// The switches of `req`, or, when a header holds a value it does not take, nothing with the
// reason in `*problem` (for a 400).
std::optional<RequestSwitches> read_switches(const httplib::Request& req, std::string* problem);

}  // namespace autoswarm::proxy
