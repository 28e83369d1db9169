// `autoswarm bench compare`, `bench plot` and `bench init` as a user meets them, with the real binary.
#include <catch2/catch.hpp>

#include <algorithm>

#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "bench/loop/synthetic_job.h"
#include "bench/loop/xml_check.h"
#include "support/cli.h"
#include "support/temp_dir.h"

using autoswarm::testing::TempDir;
using autoswarm::util::read_file;
using autoswarm::util::run_process;
using autoswarm::testing::run_autoswarm;
namespace fs = std::filesystem;

namespace {

// Every regular file under `dir`, as relative paths.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("bench compare: two jobs side by side, jobs/latest works", "[bench][cli]") {
  TempDir tmp;
  autoswarm::testing::write_two_jobs(tmp / "jobs" / "run-a", tmp / "jobs" / "run-b");
  fs::create_directory_symlink("run-b", tmp / "jobs" / "latest");
  auto r = run_autoswarm({"bench", "compare", "jobs/run-a", "jobs/latest"}, tmp.path());
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("A: jobs/run-a  (vanilla-agent)\nB: jobs/latest  (plan→execute)\n"));
  CHECK_THAT(r.out, Catch::Contains("autoswarm/csv-summary   1.00   0.00   regressed"));
  CHECK_THAT(r.out, Catch::Contains("regressed (1): autoswarm/csv-summary\n"));
  CHECK_THAT(r.out, Catch::Contains("improved (2): autoswarm/fix-fizzbuzz, log-errors\n"));
  CHECK_THAT(r.out, Catch::Contains("passed: 2/4 -> 3/4 (+1)\n"));
  CHECK_THAT(r.out, Catch::EndsWith("cost_usd: 0.0650 -> 0.0830 (+0.0180)\n"));
}

TEST_CASE("bench compare: a directory that is not a job is named, exit 1", "[bench][cli]") {
  TempDir tmp;
  autoswarm::testing::write_two_jobs(tmp / "a", tmp / "b");
  fs::create_directory(tmp / "tasks");
  auto r = run_autoswarm({"bench", "compare", "a", "tasks"}, tmp.path());
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith("error: tasks is not a job directory: it has no result.json"));
  auto usage = run_autoswarm({"bench", "compare", "a"}, tmp.path());
  CHECK(usage.exit_code == 2);
}

TEST_CASE("bench plot: results.tsv to a well-formed SVG, one point per row", "[bench][cli]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(
      tmp / "results.tsv",
      "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\tdescription\n"
      "a1b2c3d\t0.2500\t1/4\t\t\tvanilla-agent\t0.0000\tkeep\tbaseline\n"
      "b2c3d4e\t0.5000\t2/4\t\t\tplan→execute\t0.0000\tkeep\tadd a planner\n"
      "c3d4e5f\t0.0000\t0/4\t\t\tplan→execute\t0.0000\tcrash\ttypo in spec\n");
  auto r = run_autoswarm({"bench", "plot"}, tmp.path());
  CHECK(r.exit_code == 0);
  CHECK(r.out == "wrote progress.svg: 3 experiments, best kept passed=2\n");
  std::string svg = read_file(tmp / "progress.svg");
  CHECK(autoswarm::testing::xml_problem(svg) == "");
  size_t circles = 0;
  for (size_t i = svg.find("<circle "); i != std::string::npos; i = svg.find("<circle ", i + 1)) ++circles;
  CHECK(circles == 3);

  fs::rename(tmp / "results.tsv", tmp / "log.tsv");
  auto other = run_autoswarm({"bench", "plot", "--results", "log.tsv", "--out", "chart.svg"}, tmp.path());
  CHECK(other.exit_code == 0);
  CHECK(fs::exists(tmp / "chart.svg"));

  auto missing = run_autoswarm({"bench", "plot", "--results", "none.tsv"}, tmp.path());
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::StartsWith("error: ") && Catch::Contains("none.tsv"));
}

TEST_CASE("bench init: the files of benchmark/ byte for byte, and a spec validate accepts", "[bench][cli]") {
  TempDir tmp;
  auto r = run_autoswarm({"bench", "init", "mybench"}, tmp.path());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("created  mybench/pipeline_spec.yaml\n"));
  CHECK_THAT(r.out, Catch::Contains("created  mybench/tasks/hello-world/solution/solve.sh\n"));

  const fs::path benchmark = fs::path(AUTOSWARM_SOURCE_DIR) / "benchmark";
  std::vector<std::string> written = files_under(tmp / "mybench");
  CHECK(written == std::vector<std::string>{".dockerignore", ".gitignore", "Dockerfile.base",
                                            "examples/custom_tool.yaml", "examples/linear.yaml",
                                            "examples/parallel_synthesis.yaml", "examples/stage_as_tool.yaml",
                                            "examples/verify_retry.yaml", "pipeline_spec.yaml",
                                            "program_pipeline.md",
                                            "tasks/hello-world/environment/Dockerfile",
                                            "tasks/hello-world/instruction.md",
                                            "tasks/hello-world/solution/solve.sh",
                                            "tasks/hello-world/task.toml",
                                            "tasks/hello-world/tests/test.sh"});
  for (const std::string& f : written) {
    INFO(f);
    CHECK(read_file(tmp / "mybench" / f) == read_file(benchmark / f));
  }
  CHECK(read_file(tmp / "mybench" / ".gitignore") == "jobs/\nresults.tsv\nrun.log\n");

  auto v = run_autoswarm({"bench", "validate", "--spec", "mybench/pipeline_spec.yaml"}, tmp.path());
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains(": valid: vanilla-agent (1 stage"));
  auto example = run_autoswarm({"bench", "validate", "--spec", "mybench/examples/verify_retry.yaml"}, tmp.path());
  CHECK(example.exit_code == 0);
}

TEST_CASE("bench init: a non-empty directory is refused, --force overwrites", "[bench][cli]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "pipeline: {}\n");
  autoswarm::util::write_file_atomic(tmp / "README", "mine\n");
  auto refused = run_autoswarm({"bench", "init"}, tmp.path());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("not overwriting existing files in .: pipeline_spec.yaml"));
  CHECK_THAT(refused.err, Catch::Contains("--force"));
  CHECK_FALSE(fs::exists(tmp / "program_pipeline.md"));

  auto forced = run_autoswarm({"bench", "init", "--force"}, tmp.path());
  CHECK(forced.exit_code == 0);
  CHECK_THAT(forced.out, Catch::Contains("replaced ./pipeline_spec.yaml\n"));
  CHECK_THAT(forced.out, Catch::Contains("created  ./program_pipeline.md\n"));
  CHECK(read_file(tmp / "README") == "mine\n");
  auto v = run_autoswarm({"bench", "validate"}, tmp.path());
  CHECK(v.exit_code == 0);
}
