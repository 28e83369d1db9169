// bench resume's core without docker: jobs run by run_job on FakeEnvironments, then broken as an
// interruption leaves them (cancelled trials, a result.json cut short, trials killed mid-run,
// attempts never started), then finished by resume_job: exactly the right trials run again,
// the kept ones stay byte for byte, and the job's files count every trial.
#include "autoswarm/bench/trials/job_resume.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/sha256.h"
#include "fake_job.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeJob;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// What an interruption leaves of a finished trial.
void make_cancelled(const TrialDir& trial) {
  json r = autoswarm::bench::read_job_json(trial.result_file());
  r["verifier_result"] = nullptr;
  r["exception_info"] = {{"exception_type", "CancelledError"},
                         {"exception_message", "the run was interrupted"},
                         {"exception_traceback", ""},
                         {"occurred_at", r["finished_at"]}};
  util::write_file_atomic(trial.result_file(), r.dump(2));
}
void cut_short(const TrialDir& trial) {
  std::string text = util::read_file(trial.result_file());
  util::write_file_atomic(trial.result_file(), text.substr(0, text.size() / 2));
}
void make_unfinished(const TrialDir& trial) { fs::remove(trial.result_file()); }
void make_never_started(const TrialDir& trial) { fs::remove_all(trial.path()); }

// The task a trial ran (its directory's name, which is the task's name here).
std::string task_of(const TrialDir& trial) {
  return fs::path(autoswarm::bench::read_job_json(trial.config_file())["task"]["path"].get<std::string>()).filename().string();
}

}  // namespace

TEST_CASE("resume of a 16-trial job with 8 finished runs exactly the other 8 again", "[bench][resume]") {
  FakeJob f(8, 2);
  JobResult first = f.run();
  REQUIRE(first.trials.size() == 16);
  REQUIRE(f.started.size() == 16);
  const std::string job_id = autoswarm::bench::read_job_json(f.job().result_file())["id"];

  // Two of each: cancelled, cut short, killed mid-run (no result.json), never started.
  std::vector<TrialDir> trials = f.job().trial_dirs();
  REQUIRE(trials.size() == 16);
  std::multiset<std::string> broken_tasks;
  std::set<std::string> broken_names;
  for (size_t i = 0; i < 8; ++i) {
    broken_tasks.insert(task_of(trials[i * 2]));
    broken_names.insert(trials[i * 2].name());
  }
  make_cancelled(trials[0]);
  make_cancelled(trials[2]);
  cut_short(trials[4]);
  cut_short(trials[6]);
  make_unfinished(trials[8]);
  make_unfinished(trials[10]);
  make_never_started(trials[12]);
  make_never_started(trials[14]);
  fs::remove(f.job().summary_file());  // killed: no autoswarm.json
  std::map<std::string, std::string> kept_bytes;
  for (size_t i = 1; i < 16; i += 2) kept_bytes[trials[i].name()] = util::read_file(trials[i].result_file());

  const RecordedRun run = read_recorded_run(f.job());
  CHECK(run.job_id == job_id);
  CHECK(run.agent == "oracle");
  CHECK(run.n_attempts == 2);
  CHECK(run.n_concurrent == 3);
  CHECK(run.tasks.size() == 8);
  CHECK(run.tasks_dir == fs::absolute(f.tmp / "tasks").lexically_normal());
  const ResumePlan plan = plan_resume(f.job(), run);
  CHECK(plan.kept.size() == 8);
  CHECK(plan.cancelled.size() == 2);
  CHECK(plan.unreadable.size() == 2);
  CHECK(plan.unfinished.size() == 2);
  CHECK(plan.to_remove().size() == 6);
  CHECK(plan.rerun.size() == 8);
  CHECK(plan.n_total == 16);
  CHECK_FALSE(plan.ended);
  CHECK_FALSE(plan.complete());

  JobResult resumed = f.resume(run, plan);
  CHECK(f.started.size() == 8);
  CHECK(f.started_tasks() == broken_tasks);
  CHECK_FALSE(resumed.interrupted);
  CHECK(resumed.trials.size() == 16);
  CHECK(resumed.passed() == 8);

  // The kept trials are untouched; the broken ones are gone, replaced by new directories.
  std::vector<TrialDir> after = f.job().trial_dirs();
  CHECK(after.size() == 16);
  std::map<std::string, size_t> per_task;
  for (const TrialDir& t : after) {
    CHECK_FALSE(broken_names.contains(t.name()));
    REQUIRE(fs::exists(t.result_file()));
    CHECK(autoswarm::bench::read_job_json(t.result_file())["finished_at"].is_string());
    ++per_task[task_of(t)];
    if (kept_bytes.contains(t.name())) CHECK(util::read_file(t.result_file()) == kept_bytes[t.name()]);
  }
  for (const auto& [task, n] : per_task) CHECK(n == 2);
  for (const auto& [name, bytes] : kept_bytes) CHECK(fs::exists(f.job().path() / name));

  json result = autoswarm::bench::read_job_json(f.job().result_file());
  CHECK(result["id"] == job_id);
  CHECK(result["finished_at"].is_string());
  CHECK(result["n_total_trials"] == 16);
  CHECK(result["stats"]["n_completed_trials"] == 16);
  CHECK(result["stats"]["n_cancelled_trials"] == 0);
  CHECK(result["stats"]["n_pending_trials"] == 0);
  json summary = autoswarm::bench::read_job_json(f.job().summary_file());
  CHECK(summary["interrupted"] == false);
  CHECK(summary["passed"] == 8);
  CHECK(summary["resumed_at"].is_string());
  for (const TrialDir& t : after) CHECK(autoswarm::bench::read_job_json(t.config_file())["job_id"] == job_id);

  // Done: a second resume finds nothing to do.
  CHECK(plan_resume(f.job(), read_recorded_run(f.job())).complete());
}

TEST_CASE("a job records at its start what resume and record need: autoswarm_config.json",
          "[bench][resume]") {
  FakeJob f(2, 3);
  f.options.skipped_tasks = {TaskProblem{f.tmp / "tasks" / "broken" / "tests" / "test.sh", "missing",
                                         f.tmp / "tasks" / "broken"}};
  SpecOrigin origin;
  origin.file = f.tmp / "pipeline_spec.yaml";
  origin.sha256 = "ab12";
  origin.git_commit = "0123456789abcdef0123456789abcdef01234567";
  origin.git_short_commit = "0123456";
  origin.tree_dirty = true;
  f.options.spec_origin = origin;
  std::atomic<bool> written_first{true};  // before any trial starts (Catch asserts on this thread only)
  f.on_start = [&] {
    if (!fs::exists(f.job().autoswarm_config_file())) written_first = false;
  };
  f.run();
  CHECK(written_first);
  json extra = autoswarm::bench::read_job_json(f.job().autoswarm_config_file());
  CHECK(extra["job_id"] == autoswarm::bench::read_job_json(f.job().result_file())["id"]);
  CHECK(extra["tasks"] == json::array({"task-1", "task-2"}));
  CHECK(extra["skipped_tasks"] ==
        json::array({{{"task", "broken"}, {"file", (f.tmp / "tasks" / "broken" / "tests" / "test.sh").string()},
                      {"reason", "missing"}}}));
  CHECK(extra["run"] == f.options.run_options);
  CHECK(extra["spec"] == origin.to_json());
  CHECK((fs::status(f.job().autoswarm_config_file()).permissions() & fs::perms::others_read) != fs::perms::none);
}

TEST_CASE("a job that ran to its end is complete, and resume would run nothing", "[bench][resume]") {
  FakeJob f(3, 1);
  f.run();
  const ResumePlan plan = plan_resume(f.job(), read_recorded_run(f.job()));
  CHECK(plan.kept.size() == 3);
  CHECK(plan.rerun.empty());
  CHECK(plan.ended);
  CHECK(plan.complete());
}

TEST_CASE("a job killed after its last trial gets its files written, no trial run", "[bench][resume]") {
  FakeJob f(2, 1);
  f.run();
  fs::remove(f.job().summary_file());
  json result = autoswarm::bench::read_job_json(f.job().result_file());
  result["finished_at"] = nullptr;
  util::write_file_atomic(f.job().result_file(), result.dump());

  const RecordedRun run = read_recorded_run(f.job());
  const ResumePlan plan = plan_resume(f.job(), run);
  CHECK(plan.rerun.empty());
  CHECK(plan.to_remove().empty());
  CHECK_FALSE(plan.complete());
  JobResult resumed = f.resume(run, plan);
  CHECK(f.started.empty());
  CHECK(resumed.trials.size() == 2);
  CHECK(autoswarm::bench::read_job_json(f.job().summary_file())["passed"] == 2);
  CHECK(autoswarm::bench::read_job_json(f.job().result_file())["finished_at"].is_string());
  CHECK(plan_resume(f.job(), run).complete());
}

TEST_CASE("a resume interrupted in turn leaves the rest for the next one", "[bench][resume]") {
  FakeJob f(4, 1);
  f.run();
  for (const TrialDir& t : f.job().trial_dirs()) make_unfinished(t);
  const RecordedRun run = read_recorded_run(f.job());
  f.options.n_concurrent = 1;
  f.on_start = [&] { f.cancel = true; };  // Ctrl-C as the first trial starts
  JobResult resumed = f.resume(run, plan_resume(f.job(), run));
  CHECK(resumed.interrupted);
  CHECK(f.started.size() == 1);
  json summary = autoswarm::bench::read_job_json(f.job().summary_file());
  CHECK(summary["interrupted"] == true);
  CHECK(autoswarm::bench::read_job_json(f.job().result_file())["stats"]["n_pending_trials"] == 3);

  f.cancel = false;
  f.on_start = [] {};
  const ResumePlan again = plan_resume(f.job(), run);
  CHECK(again.cancelled.size() == 1);
  CHECK(again.rerun.size() == 4);
  f.resume(run, again);
  CHECK(f.started.size() == 4);
  CHECK(plan_resume(f.job(), run).complete());
}

TEST_CASE("resume names the file a directory lacks to be a job it can finish", "[bench][resume]") {
  testing::TempDir tmp;
  util::ensure_directory(tmp / "not-a-job");
  try {
    read_recorded_run(JobDir(tmp / "not-a-job"));
    FAIL("expected a FileError");
  } catch (const FileError& e) {
    CHECK_THAT(e.what(), Catch::Contains((tmp / "not-a-job" / "config.json").string()) &&
                             Catch::Contains("is not a job directory"));
  }
  CHECK_THROWS_WITH(read_recorded_run(JobDir(tmp / "missing")), Catch::Contains("does not exist"));

  FakeJob f(1, 1);
  f.run();
  fs::remove(f.job().autoswarm_config_file());
  CHECK_THROWS_WITH(read_recorded_run(f.job()),
                    Catch::Contains("autoswarm_config.json") && Catch::Contains("bench run"));
}

TEST_CASE("resume refuses a spec that changed since the job ran it", "[bench][resume]") {
  testing::TempDir tmp;
  const fs::path spec = tmp / "pipeline_spec.yaml";
  util::write_file_atomic(spec, "pipeline: {stages: []}\n");
  RecordedRun run;
  run.job_name = "job";
  run.run = {{"spec_file", spec.string()}};
  run.spec = SpecOrigin{};
  run.spec->file = spec;
  run.spec->sha256 = util::sha256_hex("pipeline: {stages: []}\n");
  CHECK_NOTHROW(require_unchanged_spec(run));
  util::write_file_atomic(spec, "pipeline: {model: other}\n");
  CHECK_THROWS_WITH(require_unchanged_spec(run),
                    Catch::Contains(spec.string() + " has changed since the job job ran it"));
  fs::remove(spec);
  CHECK_THROWS_WITH(require_unchanged_spec(run), Catch::Contains("is gone"));
  run.run["spec_file"] = "";  // an oracle job: no spec to check
  CHECK_NOTHROW(require_unchanged_spec(run));
}

TEST_CASE("a trial's result.json reads back as the result that wrote it", "[bench][resume]") {
  testing::TempDir tmp;
  TrialResult r;
  r.id = "0b0e6c5e-3c1a-4f7e-9a51-2d3c4b5a6978";
  r.task_name = "org/hello";
  r.source = "tasks";
  r.task_checksum = "abc";
  r.agent_name = "autoswarm-pipeline";
  r.model_name = "qwen";
  r.model_provider = "vllm";
  r.usage = {.prompt_tokens = 10, .completion_tokens = 3, .cached_tokens = 2, .cost_usd = 0.5};
  r.turns = 4;
  r.topology = "plan→execute";
  r.rewards = {{"correctness", 1}, {"speed", 0.5}};
  r.error = TrialError{TrialErrorType::kAgentTimeout, "too slow", "2025-01-01T00:00:01.000Z"};
  r.started_at = "2025-01-01T00:00:00.000Z";
  r.finished_at = "2025-01-01T00:00:02.000Z";
  r.agent_execution = PhaseTiming{"2025-01-01T00:00:00.500Z", "2025-01-01T00:00:01.000Z"};
  const TrialDir trial(tmp / "hello__abcdefg");
  r.trial_name = trial.name();
  r.trial_dir = trial.path();
  r.task_dir = tmp / "tasks" / "hello";
  std::optional<TrialResult> back = TrialResult::from_json(r.to_json(), trial);
  REQUIRE(back);
  CHECK(back->to_json() == r.to_json());
  CHECK_FALSE(TrialResult::from_json(json::object(), trial));
  CHECK_FALSE(TrialResult::from_json(json{{"task_name", "x"}, {"finished_at", nullptr}}, trial));
}
