// `bench compare`: two job directories read back and set side by side.
#include <catch2/catch.hpp>

#include "autoswarm/bench/loop/job_comparison.h"
#include "autoswarm/util/error.h"
#include "bench/loop/synthetic_job.h"
#include "support/temp_dir.h"

using autoswarm::bench::compare_jobs;
using autoswarm::bench::load_job_summary;
using autoswarm::testing::TempDir;

TEST_CASE("a job directory is read back from its result.json files", "[bench][compare]") {
  TempDir tmp;
  autoswarm::testing::write_two_jobs(tmp / "a", tmp / "b");
  auto a = load_job_summary(tmp / "a");
  CHECK(a.topology == "vanilla-agent");
  CHECK(a.n_total == 4);
  CHECK(a.trials.size() == 4);
  CHECK(a.passed() == 2);
  CHECK(a.tokens() == 6500 + 650);
  CHECK(a.cost_usd() == Approx(0.065));
  CHECK(a.trials.at("log-errors").error_type == "AgentTimeoutError");
  CHECK(a.trials.at("log-errors").reward == 0.0);
}

TEST_CASE("compare lists regressed and improved tasks and the deltas", "[bench][compare]") {
  TempDir tmp;
  autoswarm::testing::write_two_jobs(tmp / "a", tmp / "b");
  auto c = compare_jobs(load_job_summary(tmp / "a"), load_job_summary(tmp / "b"));
  REQUIRE(c.tasks.size() == 4);
  CHECK(c.regressed == std::vector<std::string>{"autoswarm/csv-summary"});
  CHECK(c.improved == std::vector<std::string>{"autoswarm/fix-fizzbuzz", "log-errors"});
  std::string text = c.to_text();
  CHECK_THAT(text, Catch::Contains("autoswarm/csv-summary   1.00   0.00   regressed"));
  CHECK_THAT(text, Catch::Contains("autoswarm/hello-world   1.00   1.00\n"));
  CHECK_THAT(text, Catch::Contains("log-errors              0.00   1.00   improved  A: AgentTimeoutError"));
  CHECK_THAT(text, Catch::Contains("regressed (1): autoswarm/csv-summary\n"));
  CHECK_THAT(text, Catch::Contains("improved (2): autoswarm/fix-fizzbuzz, log-errors\n"));
  CHECK_THAT(text, Catch::Contains("passed: 2/4 -> 3/4 (+1)\n"));
  CHECK_THAT(text, Catch::Contains("tokens: 7150 -> 9130 (+1980)\n"));
  CHECK_THAT(text, Catch::Contains("cost_usd: 0.0650 -> 0.0830 (+0.0180)\n"));
  CHECK_THAT(text, Catch::Contains("(plan→execute)"));
}

TEST_CASE("a task in only one job shows '-' and counts as 0 in the other", "[bench][compare]") {
  TempDir tmp;
  autoswarm::testing::write_synthetic_job(tmp / "a", "x", {{"t1", 1.0, 10, 1, 0, ""}});
  autoswarm::testing::write_synthetic_job(tmp / "b", "x", {{"t2", 1.0, 10, 1, 0, ""}});
  auto c = compare_jobs(load_job_summary(tmp / "a"), load_job_summary(tmp / "b"));
  CHECK(c.regressed == std::vector<std::string>{"t1"});
  CHECK(c.improved == std::vector<std::string>{"t2"});
  CHECK_THAT(c.to_text(), Catch::Contains("t1    1.00   -      regressed\n"));
  CHECK_THAT(c.to_text(), Catch::Contains("passed: 1/1 -> 1/1 (+0)\n"));
}

TEST_CASE("a directory that is not a job is named in the error", "[bench][compare]") {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "not-a-job");
  CHECK_THROWS_WITH(load_job_summary(tmp / "not-a-job"),
                    Catch::Contains("not-a-job is not a job directory: it has no result.json"));
  CHECK_THROWS_WITH(load_job_summary(tmp / "missing"),
                    Catch::Contains("missing is not a job directory: it does not exist"));
  autoswarm::util::ensure_directory(tmp / "broken");
  autoswarm::util::write_file_atomic(tmp / "broken" / "result.json", "{not json");
  CHECK_THROWS_AS(load_job_summary(tmp / "broken"), autoswarm::FileError);
}

TEST_CASE("a task's attempts (-k) fold into one row: mean reward, passed when one passed",
          "[bench][compare]") {
  TempDir tmp;
  const auto job = tmp / "k";
  autoswarm::testing::write_synthetic_job(job, "t", {});
  autoswarm::util::write_file_atomic(job / "autoswarm.json", R"({"n_tasks": 1, "pipeline_topology": "t"})");
  int i = 0;
  for (double reward : {1.0, 0.0}) {
    auto trial = job / ("hello-world__aaaaaa" + std::to_string(i++));
    autoswarm::util::ensure_directory(trial);
    autoswarm::util::write_file_atomic(
        trial / "result.json",
        nlohmann::json{{"task_name", "hello-world"},
                       {"agent_result", {{"n_input_tokens", 10}, {"n_output_tokens", 1}, {"cost_usd", 0.5}}},
                       {"verifier_result", {{"rewards", {{"correctness", reward}}}}}}
            .dump());
  }
  auto s = load_job_summary(job);
  REQUIRE(s.trials.size() == 1);
  const auto& t = s.trials.at("hello-world");
  CHECK(t.attempts == 2);
  CHECK(t.reward == Approx(0.5));
  CHECK(s.passed() == 1);
  CHECK(s.n_total == 1);
  CHECK(s.tokens() == 22);
  CHECK(s.cost_usd() == Approx(1.0));
}
