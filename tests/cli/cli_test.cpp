// The command-line shell as a user meets it: version, help, usage errors and exit codes.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "autoswarm/util/subprocess.h"
#include "autoswarm/version.h"
#include "support/cli.h"
#include "support/temp_dir.h"

using autoswarm::util::ProcessOptions;
using autoswarm::util::run_process;
using autoswarm::testing::run_autoswarm;

TEST_CASE("the version flag prints the CMake version", "[cli]") {
  auto r = run_autoswarm({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string("autoswarm ") + autoswarm::kVersion + "\n");
}

TEST_CASE("the help lists every subcommand with one line each", "[cli]") {
  auto r = run_autoswarm({"--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Subcommands:"));
  CHECK_THAT(r.out, Catch::Contains("--home"));
  CHECK_THAT(r.out, Catch::Contains("--no-color"));
  CHECK_THAT(r.out, Catch::Contains("\n  start "));
  CHECK_THAT(r.out, Catch::Contains("\n  doctor "));
}

TEST_CASE("a bad global option value is a usage error", "[cli]") {
  auto r = run_autoswarm({"--log-level", "loud", "start"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown log level 'loud'"));
}

TEST_CASE("global options are accepted after the subcommand too", "[cli]") {
  auto r = run_autoswarm({"start", "--no-color", "--port", "99999"});
  CHECK(r.exit_code == 2);  // the port is out of range: a usage error, not an unknown --no-color
  CHECK_THAT(r.err, Catch::Contains("--port"));
}

TEST_CASE("an unknown subcommand prints usage and exits 2", "[cli]") {
  auto r = run_autoswarm({"frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("error: "));
  CHECK_THAT(r.err, Catch::Contains("frobnicate"));
  CHECK_THAT(r.err, Catch::Contains("usage: autoswarm"));
  CHECK(r.out.empty());
}

TEST_CASE("an unknown flag prints usage and exits 2", "[cli]") {
  auto r = run_autoswarm({"--frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--frobnicate"));
  CHECK_THAT(r.err, Catch::Contains("usage: autoswarm"));
}

TEST_CASE("no subcommand prints the help on stderr and exits 2", "[cli]") {
  auto r = run_autoswarm({});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("Subcommands:"));
}
