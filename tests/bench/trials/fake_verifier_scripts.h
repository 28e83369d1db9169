// What the verifier's two housekeeping scripts do, acted out on a FakeEnvironment's files: the
// clean slate (rm -rf /tests /logs/verifier /logs/reward.txt) and reading the reward files
// ("<bytes> <path>\n<content>" for each that exists), as the real scripts do in a container.
#pragma once

#include <string>

#include "support/fake_environment.h"

namespace autoswarm::testing {

inline void act_out_verifier_scripts(FakeEnvironment& env) {
  env.on_command("rm -rf /tests /logs/verifier", [&env](const FakeEnvironment::Call&) {
    for (const auto& [path, content] : env.files()) {
      if (path.starts_with("/tests/") || path.starts_with("/logs/verifier/") ||
          path == "/logs/reward.txt") {
        env.remove_file(path);
      }
    }
    return bench::ExecResult{.exit_code = 0};
  });
  env.on_command("^sh -c cap=", [&env](const FakeEnvironment::Call& c) {
    bench::ExecResult r{.exit_code = 0};
    size_t cap = std::stoul(c.argv.at(4));
    for (size_t i = 5; i < c.argv.size(); ++i) {
      if (auto content = env.file(c.argv[i])) {
        std::string part = content->substr(0, cap);
        r.out += std::to_string(part.size()) + " " + c.argv[i] + "\n" + part;
      }
    }
    return r;
  });
}

}  // namespace autoswarm::testing
