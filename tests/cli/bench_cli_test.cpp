// `autoswarm bench validate` as a user meets it: exit codes and every problem on stdout.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "support/cli.h"
#include "support/temp_dir.h"

using autoswarm::testing::TempDir;
using autoswarm::util::run_process;
using autoswarm::testing::run_autoswarm;

TEST_CASE("bench validate: a valid spec exits 0 with its topology", "[bench][cli]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", R"(pipeline:
  stages:
    - {id: plan, system_prompt: "Plan.", tools: [read_file], max_turns: 4}
    - {id: execute, system_prompt: "Do.", tools: [run_shell]}
)");
  auto r = run_autoswarm({"bench", "validate"}, tmp.path());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "pipeline_spec.yaml: valid: plan→execute (2 stages, max_total_turns 14)\n");
}

TEST_CASE("bench validate: every problem with file:line, exit 1", "[bench][cli]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "s.yaml", R"(pipeline:
  max_total_turns: 5
  stages:
    - {id: a, system_prompt: "", tools: [nope], max_turns: 4}
    - {id: a, system_prompt: "x", colour: red}
  handoffs:
    b->a: {}
)");
  auto r = run_autoswarm({"bench", "validate", "--spec", "s.yaml"}, tmp.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("s.yaml:2: the stages' max_turns add up to 14, over max_total_turns 5"));
  CHECK_THAT(r.out, Catch::Contains("s.yaml:4: stage 'a' has an empty system_prompt"));
  CHECK_THAT(r.out, Catch::Contains("s.yaml:4: stage 'a': unknown tool 'nope'"));
  CHECK_THAT(r.out, Catch::Contains("s.yaml:5: duplicate stage id 'a'"));
  CHECK_THAT(r.out, Catch::Contains("s.yaml:5: stage 'a': unknown field 'colour'"));
  CHECK_THAT(r.out, Catch::Contains("s.yaml:7: handoff 'b→a': no stage 'b'"));
  CHECK_THAT(r.out, Catch::EndsWith("6 problems in s.yaml\n"));
}

TEST_CASE("bench validate: the example shapes are valid, a loop without a limit is refused where it is",
          "[bench][cli]") {
  TempDir tmp;
  const std::filesystem::path examples = std::filesystem::path(AUTOSWARM_SOURCE_DIR) / "benchmark" / "examples";
  auto ok = run_autoswarm({"bench", "validate", "--spec", (examples / "verify_retry.yaml").string()}, tmp.path());
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::EndsWith(": valid: plan→execute→verify (3 stages, max_total_turns 40)\n"));
  auto parallel = run_autoswarm({"bench", "validate", "--spec", (examples / "parallel_synthesis.yaml").string()},
                                tmp.path());
  CHECK_THAT(parallel.out, Catch::Contains("valid: plan→[solve_a|solve_b]→pick"));

  autoswarm::util::write_file_atomic(tmp / "loop.yaml", R"(pipeline:
  stages:
    - {id: execute, system_prompt: "Do."}
    - id: verify
      system_prompt: "Check."
      verdict: last_line
      on_fail: execute
)");
  auto r = run_autoswarm({"bench", "validate", "--spec", "loop.yaml"}, tmp.path());
  CHECK(r.exit_code == 1);
  CHECK(r.out == "loop.yaml:6: stage 'verify': on_fail loops back without a retry limit: add max_retries\n"
                 "1 problem in loop.yaml\n");
}

TEST_CASE("bench validate: a missing spec file and a missing subcommand", "[bench][cli]") {
  TempDir tmp;
  auto r = run_autoswarm({"bench", "validate", "--spec", "none.yaml"}, tmp.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::StartsWith("error: ") && Catch::Contains("none.yaml"));
  auto bare = run_autoswarm({"bench"}, tmp.path());
  CHECK(bare.exit_code == 2);
  CHECK_THAT(bare.err, Catch::Contains("validate"));
}
