// The default of the optional Environment operations: not supported.
#include "autoswarm/bench/agent/environment.h"

#include "autoswarm/util/error.h"

namespace autoswarm::bench {

std::unique_ptr<Environment> Environment::branch(const std::string&) {
  throw Error(describe() + " cannot be copied for parallel branches");
}

void Environment::continue_as(std::unique_ptr<Environment>) {
  throw Error(describe() + " cannot continue as a branch");
}

}  // namespace autoswarm::bench
