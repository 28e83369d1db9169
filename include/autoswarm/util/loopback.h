// Whether a host name stays on this machine: what decides that the proxy may listen without a
// key and that OLLAMA_HOST may be probed.
#pragma once

#include <string_view>

namespace autoswarm::util {

// True for an IPv4 address in 127.0.0.0/8 (dotted quad), "::1" (also "[::1]") and
// "localhost". A name that only starts with "127." ("127.example.com") is not loopback.
bool is_loopback_host(std::string_view host);

}  // namespace autoswarm::util
