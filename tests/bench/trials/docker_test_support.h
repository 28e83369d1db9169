// What the docker-labelled tests share: whether a docker engine with autoswarm-base is here,
// and skipping cleanly when it is not — but only outside CI. With CI set in the environment a
// missing engine fails the test loudly (CI runs scripts/setup-docker first, so it must be there).
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "autoswarm/bench/trials/docker_cli.h"

namespace autoswarm::testing {

// What a skipped docker test prints; the same text is the tests' SKIP_REGULAR_EXPRESSION.
inline constexpr const char* kDockerSkipMarker = "AUTOSWARM-DOCKER-TEST-SKIPPED";

// "" when the docker daemon answers and has the autoswarm-base image; else why not.
inline const std::string& docker_unavailable_reason() {
  static const std::string reason = [] {
    try {
      bench::DockerCli docker;
      docker.ping(std::chrono::seconds(20));
      if (!docker.image_exists("autoswarm-base")) {
        return std::string("the docker image autoswarm-base is missing (run scripts/setup-docker)");
      }
      return std::string();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  }();
  return reason;
}

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "0" && std::string(ci) != "false";
}

}  // namespace autoswarm::testing

// First line of every docker test: returns early when docker is unavailable and CI is not set,
// printing kDockerSkipMarker, which CTest's SKIP_REGULAR_EXPRESSION for these tests matches
// (tests/CMakeLists.txt), so they count as skipped rather than passed; fails the test when CI
// is set.
#define AUTOSWARM_REQUIRE_DOCKER()                                                        \
  do {                                                                                    \
    const std::string& why_ = ::autoswarm::testing::docker_unavailable_reason();          \
    if (!why_.empty()) {                                                                  \
      if (::autoswarm::testing::running_in_ci()) FAIL("docker is required in CI: " << why_); \
      std::cout << ::autoswarm::testing::kDockerSkipMarker << ": " << why_ << std::endl;   \
      WARN("skipped, docker is not available: " << why_);                                 \
      return;                                                                             \
    }                                                                                     \
  } while (false)
