// `autoswarm bench resume` end to end with real Docker: a `bench run` SIGKILLed after its first
// trial finished is finished by resume (every trial once, no container left, the job as
// Harbor's models read it), and Ctrl-C during a resume stops it as it stops a run.
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/util/subprocess.h"
#include "bench/trials/bench_run_support.h"
#include "bench/trials/docker_test_support.h"
#include "support/background_process.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace autoswarm::testing;
using nlohmann::json;

namespace {

// Time enough for solve.sh's `sleep 300`, which only an interruption ends.
const std::string kResumeTaskToml = "[verifier]\ntimeout_sec = 60.0\n[agent]\ntimeout_sec = 600.0\n";

// Starts `bench run --agent oracle -n 1` over `tasks` as job `job` and SIGKILLs it as soon as
// it has printed its first finished trial: what a crash or the OOM killer does mid-job.
void kill_after_first_trial(const fs::path& tasks, const fs::path& jobs, const std::string& job) {
  BackgroundProcess run({AUTOSWARM_BINARY, "bench", "run", "--tasks", tasks.string(), "--agent",
                         "oracle", "-n", "1", "-o", jobs.string(), "--job-name", job});
  std::optional<std::string> first = run.wait_for_line("PASS", 120s);
  REQUIRE(first);
  run.signal(SIGKILL);
  CHECK(run.wait(10s) == 128 + SIGKILL);
}

// `autoswarm bench resume JOB` to its end (at most 240 s).
autoswarm::util::ProcessResult bench_resume(const fs::path& job) {
  autoswarm::util::ProcessOptions options;
  options.timeout = 240s;
  options.unset_env = {"AUTOSWARM_HOME", "OPENAI_API_KEY"};
  return autoswarm::util::run_process({AUTOSWARM_BINARY, "bench", "resume", job.string()}, options);
}

// The numbers of resume's first line, `kept=1 rerun=3 cancelled=0 …`.
std::map<std::string, int> plan_counts(const std::string& out) {
  std::map<std::string, int> counts;
  std::string first = out.substr(0, out.find('\n'));
  std::regex pair("([a-z_]+)=([0-9]+)");
  for (std::sregex_iterator it(first.begin(), first.end(), pair), end; it != end; ++it) {
    counts[(*it)[1].str()] = std::stoi((*it)[2].str());
  }
  return counts;
}

}  // namespace

TEST_CASE("bench resume finishes a bench run killed mid-job: every trial once, no container left",
          "[docker][bench_run][resume]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  write_task(dir / "tasks" / "a-quick", kResumeTaskToml, kPassingTest, "true\n");
  for (const char* name : {"b-slower", "c-slower", "d-slower"}) {
    write_task(dir / "tasks" / name, kResumeTaskToml, kPassingTest, "sleep 3\n");
  }
  const std::string job = "killed-resume-" + std::to_string(::getpid());
  const fs::path job_dir = dir / "jobs" / job;
  kill_after_first_trial(dir / "tasks", dir / "jobs", job);
  REQUIRE(fs::exists(job_dir / "autoswarm_config.json"));
  CHECK_FALSE(fs::exists(job_dir / "autoswarm.json"));  // killed before its end

  auto r = bench_resume(job_dir);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, int> counts = plan_counts(r.out);
  CHECK(counts["kept"] >= 1);
  CHECK(counts["kept"] + counts["rerun"] == 4);
  CHECK(counts["rerun"] == counts["unfinished"] + counts["not_started"]);
  CHECK(last_line(r.out) == "passed=4/4 avg_score=1.00 topology=oracle turns=4 cost_usd=0.0000 job=" +
                                job_dir.string());
  for (const char* name : {"a-quick", "b-slower", "c-slower", "d-slower"}) {
    INFO(name);
    CHECK(trial_count(job_dir, name) == 1);
    CHECK(read_json(trial_dir(job_dir, name) / "result.json")["finished_at"].is_string());
  }
  CHECK(containers_of_job(job).empty());
  json summary = read_json(job_dir / "autoswarm.json");
  CHECK(summary["interrupted"] == false);
  CHECK(summary["passed"] == 4);
  auto harbor = check_harbor_job(job_dir, {"--attempts", "1"});
  INFO(harbor.out << harbor.err);
  CHECK(harbor.exit_code == 0);

  auto again = bench_resume(job_dir);
  CHECK(again.exit_code == 0);
  CHECK(again.out == "job " + job_dir.string() + " is complete: all 4 trials finished; nothing to resume\n");
}

TEST_CASE("Ctrl-C during bench resume stops it as it stops bench run", "[docker][bench_run][resume]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  write_task(dir / "tasks" / "a-quick", kResumeTaskToml, kPassingTest, "true\n");
  write_task(dir / "tasks" / "z-slow", kResumeTaskToml, kPassingTest, "sleep 300\n");
  const std::string job = "interrupted-resume-" + std::to_string(::getpid());
  const fs::path job_dir = dir / "jobs" / job;
  kill_after_first_trial(dir / "tasks", dir / "jobs", job);

  BackgroundProcess resume({AUTOSWARM_BINARY, "bench", "resume", job_dir.string()});
  std::optional<std::string> plan = resume.wait_for_line("kept=", 60s);
  REQUIRE(plan);
  CHECK_THAT(*plan, Catch::StartsWith("kept=1 rerun=1 "));
  REQUIRE(wait_for_container(job));
  std::this_thread::sleep_for(1s);  // let solve.sh start
  resume.signal(SIGINT);
  int status = resume.wait(60s);
  INFO(resume.rest_of_out() << resume.err());
  CHECK(status == 128 + SIGINT);
  CHECK(containers_of_job(job).empty());
  CHECK_THAT(resume.rest_of_out(), Catch::Contains("passed=1/2 "));
  CHECK_THAT(resume.err(), Catch::Contains("autoswarm bench resume " + job_dir.string()));
  json summary = read_json(job_dir / "autoswarm.json");
  CHECK(summary["interrupted"] == true);
  CHECK(summary["errors_by_type"]["CancelledError"].size() == 1);
  json stats = read_json(job_dir / "result.json")["stats"];
  CHECK(stats["n_completed_trials"] == 2);
  CHECK(stats["n_cancelled_trials"] == 1);
  auto harbor = check_harbor_job(job_dir);
  INFO(harbor.out << harbor.err);
  CHECK(harbor.exit_code == 0);
}
