// `autoswarm bench resume` as a user meets it without docker: jobs written by run_job on fake
// environments, then the real binary on them — what it says about directories that are no job
// (or an older one), a job already complete, a spec that changed, and a job killed after its
// last trial (its files written with neither docker nor an LLM). Resuming real trials is
// bench_run_docker_test's.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "bench/trials/fake_job.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::testing::run_autoswarm;
using autoswarm::util::read_file;
using nlohmann::json;

namespace {

// `autoswarm bench resume ARGS…` in `cwd`, with a docker client that does not exist: these
// resumes must not need docker.
autoswarm::util::ProcessResult resume(std::vector<std::string> args, const fs::path& cwd) {
  args.insert(args.begin(), {"bench", "resume"});
  autoswarm::util::ProcessOptions options;
  options.working_directory = cwd;
  options.env["AUTOSWARM_DOCKER"] = (cwd / "no-such-docker").string();
  return run_autoswarm(std::move(args), std::move(options));
}

}  // namespace

TEST_CASE("bench resume names what a directory lacks to be a job it can finish", "[bench][cli][resume]") {
  autoswarm::testing::FakeJob f(1, 1);
  auto none = resume({"jobs/none"}, f.tmp.path());
  CHECK(none.exit_code == 1);
  CHECK(none.err == "error: jobs/none is not a job directory: it does not exist (give a directory "
                    "`autoswarm bench run` wrote, e.g. jobs/latest)\n");
  auto tasks = resume({"tasks"}, f.tmp.path());
  CHECK(tasks.exit_code == 1);
  CHECK_THAT(tasks.err, Catch::StartsWith("error: no tasks/config.json: tasks is not a job directory"));
  auto usage = resume({}, f.tmp.path());
  CHECK(usage.exit_code == 2);

  f.run();
  fs::remove(f.job().autoswarm_config_file());
  auto old = resume({"jobs/job"}, f.tmp.path());
  CHECK(old.exit_code == 1);
  CHECK_THAT(old.err, Catch::StartsWith("error: no jobs/job/autoswarm_config.json: the job was written by an "
                                        "autoswarm without `bench resume`"));
}

TEST_CASE("bench resume of a complete job says so and changes nothing", "[bench][cli][resume]") {
  autoswarm::testing::FakeJob f(3, 1);
  f.run();
  const std::string result = read_file(f.job().result_file());
  const std::string summary = read_file(f.job().summary_file());
  auto r = resume({"jobs/latest"}, f.tmp.path());
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "job jobs/latest is complete: all 3 trials finished; nothing to resume\n");
  CHECK(read_file(f.job().result_file()) == result);
  CHECK(read_file(f.job().summary_file()) == summary);
}

TEST_CASE("bench resume of a job killed after its last trial writes its files, running nothing",
          "[bench][cli][resume]") {
  autoswarm::testing::FakeJob f(3, 1);
  f.run();
  fs::remove(f.job().summary_file());
  json result = autoswarm::bench::read_job_json(f.job().result_file());
  result["finished_at"] = nullptr;
  autoswarm::util::write_file_atomic(f.job().result_file(), result.dump());

  auto r = resume({"jobs/job"}, f.tmp.path());
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "kept=3 rerun=0 cancelled=0 unfinished=0 unreadable=0 not_started=0 job=jobs/job\n"
                 "passed=3/3 avg_score=1.00 topology=oracle turns=3 cost_usd=0.0000 job=jobs/job\n");
  CHECK(autoswarm::bench::read_job_json(f.job().summary_file())["passed"] == 3);
  CHECK(autoswarm::bench::read_job_json(f.job().result_file())["finished_at"].is_string());
  CHECK(resume({"jobs/job"}, f.tmp.path()).out ==
        "job jobs/job is complete: all 3 trials finished; nothing to resume\n");
}

TEST_CASE("bench resume refuses a job whose spec changed since it ran", "[bench][cli][resume]") {
  autoswarm::testing::FakeJob f(2, 1);
  f.run();
  fs::remove(f.job().trial_dirs().front().result_file());  // killed mid-trial
  autoswarm::util::write_file_atomic(f.tmp / "spec.yaml", "pipeline: {model: now}\n");
  json extra = autoswarm::bench::read_job_json(f.job().autoswarm_config_file());
  extra["run"]["spec_file"] = (f.tmp / "spec.yaml").string();
  extra["spec"] = {{"file", (f.tmp / "spec.yaml").string()}, {"sha256", "0123abcd"}};
  autoswarm::util::write_file_atomic(f.job().autoswarm_config_file(), extra.dump());
  auto r = resume({"jobs/job"}, f.tmp.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::StartsWith("error: " + (f.tmp / "spec.yaml").string() +
                                      " has changed since the job job ran it (sha256 0123abcd)") &&
                        Catch::Contains("put back the file the job ran"));
  CHECK(f.job().trial_dirs().size() == 2);  // nothing removed
}

TEST_CASE("bench resume leaves alone a job that a run or resume is still writing", "[bench][cli][resume]") {
  autoswarm::testing::FakeJob f(2, 1);
  f.run();
  fs::remove(f.job().trial_dirs().front().result_file());  // looks killed mid-trial, but is running
  {
    autoswarm::util::FileLock running(f.job().lock_file());
    auto r = resume({"jobs/job"}, f.tmp.path());
    CHECK(r.exit_code == 1);
    CHECK(r.err == "error: the job jobs/job is being written by another autoswarm (a bench run or bench resume "
                   "still going): wait for it to end, or stop it, then resume\n");
    CHECK(f.job().trial_dirs().size() == 2);  // nothing removed
  }
  auto unlocked = resume({"jobs/job"}, f.tmp.path());  // gets past the lock, to docker (missing here)
  CHECK(unlocked.exit_code == 1);
  CHECK_THAT(unlocked.err, Catch::Contains("docker") && !Catch::Contains("being written"));
  CHECK(f.job().trial_dirs().size() == 2);  // nothing removed before everything is ready
}
