// results.tsv: one clean line per row, appended (never rewritten) under a lock, and the spec's
// git commit inside and outside a repository (real `git` in a TempDir).
#include <catch2/catch.hpp>

#include "autoswarm/bench/loop/results_log.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "bench/loop/eval_job_fixture.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::bench::ResultsRow;
using autoswarm::testing::TempDir;
using autoswarm::util::read_file;
using autoswarm::testing::git;

namespace {

// A repository with one commit holding `file`.
void init_repo(const fs::path& dir, const std::string& file) {
  autoswarm::testing::git_init(dir);
  git(dir, {"add", file});
  git(dir, {"commit", "-q", "-m", "spec"});
}

}  // namespace

TEST_CASE("results fields lose tabs and newlines, keep quotes and unicode", "[bench][record]") {
  using autoswarm::bench::clean_field;
  CHECK(clean_field("a\tb\nc\r\nd") == "a b c d");
  CHECK(clean_field("  \"quoted\" 'x' \\t  ") == "\"quoted\" 'x' \\t");
  CHECK(clean_field("plan→execute ünïcödé 🚀") == "plan→execute ünïcödé 🚀");
  CHECK(clean_field("\n\t") == "");
  ResultsRow row{"abc1234", "0.5000", "1", "a:1,b:0", "", "plan→execute", "0.0000", "keep",
                 "tab\there\nnewline", "2025-06-01__14-03-12", "2"};
  CHECK(row.to_line() ==
        "abc1234\t0.5000\t1\ta:1,b:0\t\tplan→execute\t0.0000\tkeep\ttab here newline\t2025-06-01__14-03-12\t2");
  CHECK(row.to_line(autoswarm::bench::ResultsLayout::kNineColumns) ==
        "abc1234\t0.5000\t1/2\ta:1,b:0\t\tplan→execute\t0.0000\tkeep\ttab here newline");
}

TEST_CASE("results.tsv is created with its header and only ever appended to", "[bench][record]") {
  TempDir tmp;
  fs::path file = tmp / "results.tsv";
  ResultsRow row{"-", "1.0000", "1", "t:1", "", "agent", "0.0000", "keep", "first", "job-1", "1"};
  auto appended = autoswarm::bench::append_results_row(file, row);
  CHECK(appended.layout == autoswarm::bench::ResultsLayout::kCurrent);
  std::string first = read_file(file);
  CHECK(first == "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\t"
                 "description\tjob\tn_tasks\n-\t1.0000\t1\tt:1\t\tagent\t0.0000\tkeep\tfirst\tjob-1\t1\n");
  CHECK(appended.line + "\n" == first.substr(first.find('\n') + 1));
  row.status = "discard";
  row.description = "second\tone";
  autoswarm::bench::append_results_row(file, row);
  std::string second = read_file(file);
  CHECK(second.starts_with(first));
  CHECK(second.substr(first.size()) == "-\t1.0000\t1\tt:1\t\tagent\t0.0000\tdiscard\tsecond one\tjob-1\t1\n");
  CHECK((fs::status(file).permissions() & fs::perms::others_read) != fs::perms::none);

  autoswarm::util::write_file_atomic(tmp / "other.tsv", "a\tb\n1\t2\n");
  CHECK_THROWS_AS(autoswarm::bench::append_results_row(tmp / "other.tsv", row), autoswarm::FileError);
  CHECK(read_file(tmp / "other.tsv") == "a\tb\n1\t2\n");
}

TEST_CASE("a job's row: scores, passed, topology, cost and eval's stage scores", "[bench][record]") {
  TempDir tmp;
  using autoswarm::testing::eval_plan_execute_trial;
  autoswarm::testing::write_eval_job(tmp / "job", {eval_plan_execute_trial("b-task", 0.0), eval_plan_execute_trial("a-task")},
                                     "plan→execute", 0.0123);
  ResultsRow row = autoswarm::bench::results_row_for_job(tmp / "job");
  CHECK(row.commit == "");  // no autoswarm_config.json: the caller asks git now
  CHECK(row.avg_score == "0.5000");
  CHECK(row.passed == "1");
  CHECK(row.n_tasks == "2");
  CHECK(row.job == "job");
  CHECK(row.task_scores == "a-task:1,b-task:0");
  CHECK(row.stage_scores == "");
  CHECK(row.pipeline_topology == "plan→execute");
  CHECK(row.cost_usd == "0.0123");

  autoswarm::util::write_file_atomic(tmp / "job" / "a-task" / "agent" / "stage_scores.json",
                                     R"({"stages": [{"stage": "plan", "score": 0.5}, {"stage": "execute", "score": 1}]})");
  autoswarm::util::write_file_atomic(tmp / "job" / "b-task" / "agent" / "stage_scores.json",
                                     R"({"stages": [{"stage": "plan", "score": 0.25}, {"stage": "execute", "score": 0}]})");
  CHECK(autoswarm::bench::results_row_for_job(tmp / "job").stage_scores == "plan:0.38,execute:0.50");
  CHECK_THROWS_AS(autoswarm::bench::results_row_for_job(tmp / "nope"), autoswarm::FileError);
}

TEST_CASE("a results.tsv with the seed's nine columns keeps nine, passed as passed/n_tasks",
          "[bench][record]") {
  TempDir tmp;
  fs::path file = tmp / "results.tsv";
  const std::string old = std::string(autoswarm::bench::kNineColumnHeader) +
                          "\nabc1234\t0.5000\t1/2\ta:1,b:0\t\tplan→execute\t0.0000\tkeep\tseed\n";
  autoswarm::util::write_file_atomic(file, old);
  ResultsRow row{"def5678", "1.0000", "2", "a:1,b:1", "", "plan→execute", "0.0000", "keep", "better", "job-2", "2"};
  auto appended = autoswarm::bench::append_results_row(file, row);
  CHECK(appended.layout == autoswarm::bench::ResultsLayout::kNineColumns);
  CHECK(appended.line == "def5678\t1.0000\t2/2\ta:1,b:1\t\tplan→execute\t0.0000\tkeep\tbetter");
  CHECK(read_file(file) == old + appended.line + "\n");
}

TEST_CASE("a job's row names the commit it ran and counts skipped tasks as failed", "[bench][record]") {
  TempDir tmp;
  using autoswarm::testing::eval_plan_execute_trial;
  autoswarm::testing::write_eval_job(tmp / "jobs" / "job-7", {eval_plan_execute_trial("a-task"), eval_plan_execute_trial("b-task", 0.0)});
  fs::create_directory_symlink("job-7", tmp / "jobs" / "latest");
  autoswarm::util::write_file_atomic(
      tmp / "jobs" / "job-7" / "autoswarm_config.json",
      R"({"tasks": ["a-task", "b-task"],
          "skipped_tasks": [{"task": "c-task", "file": "tasks/c-task/instruction.md", "reason": "missing"}],
          "spec": {"file": "/x/pipeline_spec.yaml", "sha256": "00", "git_commit": "abc1234ffff",
                   "git_short_commit": "abc1234", "spec_modified": false, "git_dirty": true}})");
  ResultsRow row = autoswarm::bench::results_row_for_job(tmp / "jobs" / "latest");
  CHECK(row.commit == "abc1234+");
  CHECK(row.passed == "1");
  CHECK(row.n_tasks == "3");
  CHECK(row.job == "job-7");

  fs::remove(tmp / "jobs" / "job-7" / "autoswarm.json");  // killed before its end
  CHECK_THROWS_AS(autoswarm::bench::results_row_for_job(tmp / "jobs" / "job-7"), autoswarm::FileError);
  ResultsRow crash = autoswarm::bench::results_row_for_job(tmp / "jobs" / "job-7", /*crashed=*/true);
  CHECK(crash.to_line() == "abc1234+\t0.0000\t0\t\t\t\t0.0000\t\t\tjob-7\t3");
}

TEST_CASE("a job that did not run to its end says why", "[bench][record]") {
  TempDir tmp;
  using autoswarm::testing::eval_plan_execute_trial;
  const fs::path job = tmp / "job";
  autoswarm::testing::write_eval_job(job, {eval_plan_execute_trial("a-task"), eval_plan_execute_trial("b-task")});
  CHECK(autoswarm::bench::unfinished_job_reason(job) == "");
  auto write = [&](const char* file, const std::string& text) { autoswarm::util::write_file_atomic(job / file, text); };
  write("result.json", R"({"n_total_trials": 2, "stats": {"n_completed_trials": 2, "n_cancelled_trials": 0}})");
  CHECK(autoswarm::bench::unfinished_job_reason(job) == "");
  write("result.json", R"({"n_total_trials": 2, "stats": {"n_completed_trials": 2, "n_cancelled_trials": 1}})");
  CHECK(autoswarm::bench::unfinished_job_reason(job) == "1 of its trials were cancelled");
  write("result.json", R"({"n_total_trials": 3, "stats": {"n_completed_trials": 2, "n_cancelled_trials": 0}})");
  CHECK(autoswarm::bench::unfinished_job_reason(job) == "only 2 of its 3 trials finished");
  write("autoswarm.json", R"({"interrupted": true, "passed": 2})");
  CHECK(autoswarm::bench::unfinished_job_reason(job) == "it was interrupted");
  fs::remove(job / "autoswarm.json");
  CHECK_THAT(autoswarm::bench::unfinished_job_reason(job), Catch::Contains("no readable autoswarm.json"));
}

TEST_CASE("the spec's commit: short hash, '+' when modified, '-' outside git", "[bench][record]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "pipeline: {}\n");
  CHECK(autoswarm::bench::spec_commit(tmp / "pipeline_spec.yaml") == "-");

  init_repo(tmp.path(), "pipeline_spec.yaml");
  std::string commit = autoswarm::bench::spec_commit(tmp / "pipeline_spec.yaml");
  CHECK(commit.size() >= 7);
  CHECK(commit.find_first_not_of("0123456789abcdef") == std::string::npos);

  autoswarm::util::write_file_atomic(tmp / "unrelated.txt", "not the spec\n");
  CHECK(autoswarm::bench::spec_commit(tmp / "pipeline_spec.yaml") == commit);
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "pipeline: {model: x}\n");
  CHECK(autoswarm::bench::spec_commit(tmp / "pipeline_spec.yaml") == commit + "+");
  CHECK(autoswarm::bench::spec_commit(tmp / "missing-dir" / "spec.yaml") == "-");
}
