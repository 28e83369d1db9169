// `autoswarm bench run` as a user meets it before any container starts: usage errors (exit 2),
// a missing spec and a tasks directory without usable tasks (exit 1, saying what to do).
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "support/temp_dir.h"

using autoswarm::testing::TempDir;

namespace {

autoswarm::util::ProcessResult bench_run(std::vector<std::string> args, const TempDir& cwd) {
  args.insert(args.begin(), {AUTOSWARM_BINARY, "bench", "run"});
  autoswarm::util::ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  options.working_directory = cwd.path();
  options.unset_env = {"AUTOSWARM_HOME", "OPENAI_API_KEY"};
  return autoswarm::util::run_process(args, options);
}

}  // namespace

TEST_CASE("bench run rejects a bad --agent and -n 0 as usage errors", "[cli][bench_run]") {
  TempDir dir;
  auto r = bench_run({"--agent", "magic"}, dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--agent 'magic'") && Catch::Contains("oracle"));
  r = bench_run({"--agent", "oracle", "-n", "0"}, dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("-n must be at least 1"));
}

TEST_CASE("bench run without a spec says how to get one", "[cli][bench_run]") {
  TempDir dir;
  auto r = bench_run({}, dir);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no pipeline spec at pipeline_spec.yaml") &&
                        Catch::Contains("--spec FILE") && Catch::Contains("--agent oracle"));
  CHECK(r.out.empty());
}

TEST_CASE("bench run with an invalid spec lists its problems and starts nothing",
          "[cli][bench_run]") {
  TempDir dir;
  autoswarm::util::write_file_atomic(
      dir / "pipeline_spec.yaml", "pipeline:\n  stages:\n    - id: a\n      system_prompt: ''\n");
  auto r = bench_run({}, dir);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("pipeline_spec.yaml"));
  CHECK_FALSE(std::filesystem::exists(dir / "jobs"));
}

TEST_CASE("bench run names every unusable task and stops when none is left", "[cli][bench_run]") {
  TempDir dir;
  autoswarm::util::ensure_directory(dir / "tasks" / "no-tests");
  autoswarm::util::write_file_atomic(dir / "tasks" / "no-tests" / "instruction.md", "x");
  autoswarm::util::ensure_directory(dir / "tasks" / "bad-toml" / "tests");
  autoswarm::util::write_file_atomic(dir / "tasks" / "bad-toml" / "instruction.md", "x");
  autoswarm::util::write_file_atomic(dir / "tasks" / "bad-toml" / "tests" / "test.sh", "true");
  autoswarm::util::write_file_atomic(dir / "tasks" / "bad-toml" / "task.toml", "[agent\n");
  auto r = bench_run({"--agent", "oracle"}, dir);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no-tests") && Catch::Contains("test.sh") &&
                        Catch::Contains("bad-toml") && Catch::Contains("task.toml") &&
                        Catch::Contains("no usable tasks in tasks"));

  r = bench_run({"--agent", "oracle", "--tasks", "missing"}, dir);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("missing"));

  r = bench_run({"--agent", "oracle", "-i", "nothing-matches-*"}, dir);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("none matched the filters"));
}
