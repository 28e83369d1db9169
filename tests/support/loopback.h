// Loopback addresses for tests that need "nothing listens here": a port that was bound and
// closed again, so a connection to it is refused at once.
#pragma once

#include <string>

#include "autoswarm/llm/base_url.h"

namespace autoswarm::testing {

int closed_loopback_port();
std::string closed_loopback_url();  // "http://127.0.0.1:<closed port>"
llm::BaseUrl closed_loopback_base_url();  // the same, parsed

}  // namespace autoswarm::testing
