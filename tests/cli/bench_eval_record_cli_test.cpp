// `autoswarm bench eval` and `bench record` as a user meets them: the real binary on synthetic job
// directories, the fake upstream as the judge, results.tsv inside and outside a git repository.
#include <catch2/catch.hpp>

#include <algorithm>

#include "autoswarm/bench/loop/results_log.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "bench/loop/eval_job_fixture.h"
#include "support/cli.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::testing::TempDir;
using autoswarm::util::read_file;
using autoswarm::testing::run_autoswarm;
using autoswarm::testing::git;

namespace {

// <dir>/jobs/run-1 with two trials, and jobs/latest → run-1.
void write_jobs(const fs::path& dir) {
  using autoswarm::testing::eval_plan_execute_trial;
  autoswarm::testing::write_eval_job(dir / "jobs" / "run-1",
                                     {eval_plan_execute_trial("alpha"), eval_plan_execute_trial("beta", 0.0)});
  fs::create_directory_symlink("run-1", dir / "jobs" / "latest");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

size_t tabs_in(const std::string& line) { return static_cast<size_t>(std::count(line.begin(), line.end(), '\t')); }

}  // namespace

TEST_CASE("bench eval: one line per trial, the aggregate last, stored scores re-used", "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  autoswarm::testing::FakeUpstream fake({.models = {{"judge-model", true}, {"other", true}}});
  fake.set_script(R"(
rules:
  - match: {model: judge-model, content: "Task alpha[\\s\\S]*JUDGED: plan"}
    reply: {content: '{"score": 0.82, "missing": "", "assessment": "ok"}'}
  - match: {model: judge-model, content: "Task beta[\\s\\S]*JUDGED: plan"}
    reply: {content: 'not json at all'}
  - match: {model: judge-model}
    reply: {content: '```json\n{"score": 0.5, "missing": "tests", "assessment": "partly"}\n```'}
)");
  // Judge calls only: choosing the upstream also asks it for its models.
  auto judge_calls = [&] {
    auto requests = fake.requests();
    return std::count_if(requests.begin(), requests.end(),
                         [](const auto& q) { return q["path"] == "/v1/chat/completions"; });
  };
  auto r = run_autoswarm({"bench", "eval", "--upstream", fake.url(), "--judge-model", "judge-model", "-n", "2"},
                         tmp.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "alpha plan:0.82,execute:0.50\nbeta plan:0.00,execute:0.50\nstage_scores: plan:0.41,execute:0.50\n");
  CHECK(fs::exists(tmp / "jobs" / "run-1" / "beta" / "agent" / "stage_scores.json"));
  CHECK(judge_calls() == 4);

  // Stored scores: no LLM needed at all.
  auto again = run_autoswarm({"bench", "eval", "jobs/run-1", "--upstream", "http://127.0.0.1:9"}, tmp.path());
  CHECK(again.exit_code == 0);
  CHECK(again.out == r.out);
  CHECK(judge_calls() == 4);

  fake.set_script(R"(default_reply: '{"score": 1}')");
  auto forced = run_autoswarm({"bench", "eval", "--force", "--upstream", fake.url(), "--judge-model", "judge-model"},
                              tmp.path());
  CHECK(forced.exit_code == 0);
  CHECK_THAT(forced.out, Catch::EndsWith("stage_scores: plan:1.00,execute:1.00\n"));
}

TEST_CASE("bench eval: no judge reachable, or no job, is an error", "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  auto r = run_autoswarm({"bench", "eval", "--upstream", "http://127.0.0.1:9", "--judge-model", "m"}, tmp.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("error: "));
  auto none = run_autoswarm({"bench", "eval", "nowhere", "--upstream", "http://127.0.0.1:9"}, tmp.path());
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Catch::Contains("nowhere"));
}

TEST_CASE("bench record: keep, discard and crash rows with tricky descriptions, outside git",
          "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  autoswarm::util::write_file_atomic(tmp / "jobs" / "run-1" / "alpha" / "agent" / "stage_scores.json",
                                     R"({"stages": [{"stage": "plan", "score": 0.82}, {"stage": "execute", "score": 0.71}]})");
  auto keep = run_autoswarm({"bench", "record", "--status", "keep", "--description",
                             "tabs\there and\nnew \"lines\" ünïcödé 🚀"},
                            tmp.path());
  INFO(keep.err);
  REQUIRE(keep.exit_code == 0);
  auto discard = run_autoswarm({"bench", "record", "jobs/run-1", "--status", "discard", "--description",
                                "it's 'worse'; $(rm -rf /) \r\n"},
                               tmp.path());
  REQUIRE(discard.exit_code == 0);
  auto crash = run_autoswarm({"bench", "record", "jobs/never-finished", "--status", "crash"}, tmp.path());
  INFO(crash.err);
  REQUIRE(crash.exit_code == 0);

  std::vector<std::string> lines = lines_of(read_file(tmp / "results.tsv"));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == autoswarm::bench::kResultsHeader);
  for (const auto& line : lines) CHECK(tabs_in(line) == 10);
  CHECK(lines[1] ==
        "-\t0.5000\t1\talpha:1,beta:0\tplan:0.82,execute:0.71\tplan→execute\t0.0000\tkeep\t"
        "tabs here and new \"lines\" ünïcödé 🚀\trun-1\t2");
  CHECK(lines[2] ==
        "-\t0.5000\t1\talpha:1,beta:0\tplan:0.82,execute:0.71\tplan→execute\t0.0000\tdiscard\t"
        "it's 'worse'; $(rm -rf /)\trun-1\t2");
  CHECK(lines[3] == "-\t0.0000\t0\t\t\t\t0.0000\tcrash\t\tnever-finished\t0");
  CHECK(keep.out == "results.tsv: " + lines[1] + "\n");
}

TEST_CASE("bench record: the spec's commit inside git, '+' when modified, bad flags", "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "pipeline: {}\n");
  autoswarm::testing::git_init(tmp.path());
  git(tmp.path(), {"add", "pipeline_spec.yaml"});
  git(tmp.path(), {"commit", "-q", "-m", "baseline"});
  std::string head = autoswarm::bench::spec_commit(tmp / "pipeline_spec.yaml");
  REQUIRE(head != "-");

  REQUIRE(run_autoswarm({"bench", "record", "--status", "keep", "--results", "log.tsv"}, tmp.path()).exit_code == 0);
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "pipeline: {model: x}\n");
  REQUIRE(run_autoswarm({"bench", "record", "--status", "discard", "--results", "log.tsv", "--description", "edit"},
                        tmp.path())
              .exit_code == 0);
  std::vector<std::string> lines = lines_of(read_file(tmp / "log.tsv"));
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].starts_with(head + "\t"));
  CHECK(lines[2].starts_with(head + "+\t"));
  CHECK_FALSE(fs::exists(tmp / "results.tsv"));

  auto missing = run_autoswarm({"bench", "record"}, tmp.path());
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("--status"));
  auto bad = run_autoswarm({"bench", "record", "--status", "maybe"}, tmp.path());
  CHECK(bad.exit_code == 2);
  auto no_job = run_autoswarm({"bench", "record", "jobs/none", "--status", "keep"}, tmp.path());
  CHECK(no_job.exit_code == 1);
  CHECK_THAT(no_job.err, Catch::StartsWith("error: ") && Catch::Contains("jobs/none"));
  CHECK(lines_of(read_file(tmp / "log.tsv")).size() == 3);
}

TEST_CASE("bench record: the commit the job recorded at run time, not HEAD at record time", "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "pipeline: {}\n");
  autoswarm::testing::git_init(tmp.path());
  git(tmp.path(), {"add", "pipeline_spec.yaml"});
  git(tmp.path(), {"commit", "-q", "-m", "now"});
  const std::string head = autoswarm::bench::spec_commit(tmp / "pipeline_spec.yaml");
  autoswarm::util::write_file_atomic(
      tmp / "jobs" / "run-1" / "autoswarm_config.json",
      R"({"tasks": ["alpha", "beta"], "skipped_tasks": [{"task": "gamma", "file": "x", "reason": "y"}],
          "spec": {"file": "pipeline_spec.yaml", "git_short_commit": "0ldc0de", "git_commit": "0ldc0de1",
                   "spec_modified": false, "git_dirty": false}})");
  auto r = run_autoswarm({"bench", "record", "--status", "discard"}, tmp.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> lines = lines_of(read_file(tmp / "results.tsv"));
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == "0ldc0de\t0.5000\t1\talpha:1,beta:0\t\tplan→execute\t0.0000\tdiscard\t\trun-1\t3");
  // --spec names a file's commit now.
  REQUIRE(run_autoswarm({"bench", "record", "--status", "discard", "--spec", "pipeline_spec.yaml"}, tmp.path())
              .exit_code == 0);
  CHECK(lines_of(read_file(tmp / "results.tsv")).at(2).starts_with(head + "\t"));
}

TEST_CASE("bench record --status keep refuses a job that did not finish, unless --force", "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  autoswarm::util::write_file_atomic(tmp / "jobs" / "run-1" / "result.json",
                                     R"({"n_total_trials": 3, "stats": {"n_completed_trials": 2}})");
  auto refused = run_autoswarm({"bench", "record", "--status", "keep"}, tmp.path());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::StartsWith("error: refusing to record jobs/latest as keep: only 2 of its 3 "
                                            "trials finished") &&
                              Catch::Contains("autoswarm bench resume jobs/latest") && Catch::Contains("--force"));
  CHECK_FALSE(fs::exists(tmp / "results.tsv"));

  auto discard = run_autoswarm({"bench", "record", "--status", "discard"}, tmp.path());
  CHECK(discard.exit_code == 0);
  auto forced = run_autoswarm({"bench", "record", "--status", "keep", "--force"}, tmp.path());
  CHECK(forced.exit_code == 0);
  CHECK(lines_of(read_file(tmp / "results.tsv")).size() == 3);

  fs::remove(tmp / "jobs" / "run-1" / "autoswarm.json");  // killed before its end
  auto killed = run_autoswarm({"bench", "record", "--status", "keep", "--force"}, tmp.path());
  CHECK(killed.exit_code == 1);  // nothing to record: no scores
  CHECK_THAT(killed.err, Catch::Contains("autoswarm.json"));
  CHECK(lines_of(read_file(tmp / "results.tsv")).size() == 3);
}

TEST_CASE("bench record appends nine-column rows to a results.tsv of an older autoswarm", "[bench][cli]") {
  TempDir tmp;
  write_jobs(tmp.path());
  const std::string old = std::string(autoswarm::bench::kNineColumnHeader) +
                          "\n-\t0.0000\t0/2\t\t\t\t0.0000\tdiscard\tseed\n";
  autoswarm::util::write_file_atomic(tmp / "results.tsv", old);
  auto r = run_autoswarm({"bench", "record", "--status", "keep"}, tmp.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string row = "-\t0.5000\t1/2\talpha:1,beta:0\t\tplan→execute\t0.0000\tkeep\t";
  CHECK(read_file(tmp / "results.tsv") == old + row + "\n");
  CHECK(r.out == "results.tsv: " + row + "\n");
  CHECK_THAT(r.err, Catch::Contains("nine columns") && Catch::Contains("docs/benchmark-mode.md"));
}
