// The job directory's layout: every name as Harbor users and older jobs know it, creating a job
// directory, the `latest` link, and reading a job back.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>

#include <filesystem>
#include <regex>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;
namespace fs = std::filesystem;

TEST_CASE("every file of a job directory has its Harbor name", "[bench][job_dir]") {
  JobDir job("jobs/2025-06-01__14-03-12");
  CHECK(job.name() == "2025-06-01__14-03-12");
  CHECK(job.config_file() == "jobs/2025-06-01__14-03-12/config.json");
  CHECK(job.result_file() == "jobs/2025-06-01__14-03-12/result.json");
  CHECK(job.autoswarm_config_file() == "jobs/2025-06-01__14-03-12/autoswarm_config.json");
  CHECK(job.summary_file() == "jobs/2025-06-01__14-03-12/autoswarm.json");
  CHECK(latest_link("jobs") == "jobs/latest");

  TrialDir trial("jobs/2025-06-01__14-03-12/hello-world");
  CHECK(trial.name() == "hello-world");
  const fs::path t = trial.path();
  CHECK(trial.config_file() == t / "config.json");
  CHECK(trial.result_file() == t / "result.json");
  CHECK(trial.exception_file() == t / "exception.txt");
  CHECK(trial.agent_dir() == t / "agent");
  CHECK(trial.instruction_file() == t / "agent/instruction.md");
  CHECK(trial.trajectory_file() == t / "agent/trajectory.json");
  CHECK(trial.stage_traces_file() == t / "agent/stage_traces.json");
  CHECK(trial.stage_scores_file() == t / "agent/stage_scores.json");
  CHECK(trial.agent_logs_staging_dir().parent_path() == t);
  CHECK(trial.verifier_dir() == t / "verifier");
  CHECK(trial.test_output_file() == t / "verifier/test-stdout.txt");
  CHECK(trial.reward_txt_file() == t / "verifier/reward.txt");
  CHECK(trial.reward_json_file() == t / "verifier/reward.json");
}

TEST_CASE("a job directory is created fresh, named after the time by default", "[bench][job_dir]") {
  testing::TempDir tmp;
  const fs::path jobs = tmp / "jobs";

  std::string first;
  JobDir a = create_job_dir(jobs, first);
  CHECK(std::regex_match(first, std::regex(R"(\d{4}-\d\d-\d\d__\d\d-\d\d-\d\d)")));
  CHECK(a.path() == jobs / first);
  CHECK(fs::is_directory(a.path()));
  CHECK((fs::status(a.path()).permissions() & fs::perms::all) == static_cast<fs::perms>(kJobDirMode));

  // Two runs in the same second: the second gets a suffix (unless the clock ticked meanwhile).
  std::string second;
  create_job_dir(jobs, second);
  CHECK(second != first);
  CHECK(fs::is_directory(jobs / second));

  std::string named = "baseline";
  CHECK(create_job_dir(jobs, named).path() == jobs / "baseline");
  CHECK(named == "baseline");
  CHECK_THROWS_AS(create_job_dir(jobs, named), UsageError);  // it exists now
  for (std::string bad : {"latest", "a/b", ".", ".."}) {
    CHECK_THROWS_AS(create_job_dir(jobs, bad), UsageError);
  }
}

TEST_CASE("latest is a relative link that moves to the newest job", "[bench][job_dir]") {
  testing::TempDir tmp;
  const fs::path jobs = tmp / "jobs";
  std::string a = "a", b = "b";
  create_job_dir(jobs, a);
  create_job_dir(jobs, b);

  point_latest_at(jobs, "a");
  CHECK(fs::read_symlink(latest_link(jobs)) == "a");
  point_latest_at(jobs, "b");
  CHECK(fs::read_symlink(latest_link(jobs)) == "b");
  CHECK(fs::equivalent(latest_link(jobs), jobs / "b"));
  CHECK(std::distance(fs::directory_iterator(jobs), fs::directory_iterator()) == 3);  // a, b, latest: no temporary link left behind
}

TEST_CASE("a job's trials are its subdirectories with a result.json, by name", "[bench][job_dir]") {
  testing::TempDir tmp;
  const JobDir job(tmp / "job");
  for (const char* name : {"log-errors", "hello-world", "csv-summary"}) {
    util::ensure_directory(job.path() / name);
  }
  util::write_file_atomic(TrialDir(job.path() / "log-errors").result_file(), "{}");
  util::write_file_atomic(TrialDir(job.path() / "hello-world").result_file(), "{}");
  util::write_file_atomic(job.result_file(), "{}");
  fs::create_directory_symlink("hello-world", job.path() / "again");  // never counted twice

  std::vector<std::string> names;
  for (const TrialDir& t : job.trials()) names.push_back(t.name());
  CHECK(names == std::vector<std::string>{"hello-world", "log-errors"});  // csv-summary: no result
  CHECK(JobDir(tmp / "missing").trials().empty());
}

TEST_CASE("a job's trial directories are the subdirectories named as trials, finished or not",
          "[bench][job_dir]") {
  testing::TempDir tmp;
  const JobDir job(tmp / "job");
  const TrialDir finished = job.new_trial("hello-world");
  const TrialDir running = job.new_trial("a-task-whose-directory-name-is-longer-than-32");
  util::ensure_directory(finished.path());
  util::ensure_directory(running.path());
  util::write_file_atomic(finished.result_file(), "{}");
  util::ensure_directory(job.path() / "notes");                 // not a trial's name
  util::ensure_directory(job.path() / "hello__abc");            // too short a suffix
  fs::create_directory_symlink(finished.name(), job.path() / "hello__Abcdefg");  // a link

  std::vector<std::string> names;
  for (const TrialDir& t : job.trial_dirs()) names.push_back(t.name());
  std::vector<std::string> expected{running.name(), finished.name()};
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
  CHECK(job.trials().size() == 1);

  CHECK(is_trial_name("hello-world__Xk3pQ9a"));
  CHECK(is_trial_name(running.name()));
  CHECK(is_trial_name("__Xk3pQ9a"));
  CHECK_FALSE(is_trial_name("hello-world__Xk3pQ9"));   // 6 characters
  CHECK_FALSE(is_trial_name("hello-world__Xk3pQ0a"));  // 0 is not in shortuuid's alphabet
  CHECK_FALSE(is_trial_name("hello-world_Xk3pQ9ab"));
  CHECK_FALSE(is_trial_name(std::string(33, 'a') + "__Xk3pQ9a"));
  CHECK_FALSE(is_trial_name("hello-world"));
}

TEST_CASE("a job's JSON files read back strictly or tolerantly", "[bench][job_dir]") {
  testing::TempDir tmp;
  util::write_file_atomic(tmp / "good.json", R"({"passed": 3})");
  util::write_file_atomic(tmp / "cut.json", R"({"passed": )");

  CHECK(read_job_json(tmp / "good.json")["passed"] == 3);
  CHECK_THROWS_WITH(read_job_json(tmp / "cut.json"),
                    Catch::Contains("cut.json is not valid JSON") &&
                        Catch::Contains("was the job interrupted while writing it?"));
  CHECK_THROWS_AS(read_job_json(tmp / "missing.json"), FileError);

  CHECK(try_read_job_json(tmp / "good.json")["passed"] == 3);
  CHECK(try_read_job_json(tmp / "cut.json").is_discarded());
  CHECK(try_read_job_json(tmp / "missing.json").is_discarded());
}

TEST_CASE("reading a job never follows a link or opens a FIFO", "[bench][job_dir]") {
  testing::TempDir tmp;
  util::write_file_atomic(tmp / "secret", "root:$6$host-secret\n");
  const TrialDir trial(tmp / "job" / "hello");
  util::ensure_directory(trial.agent_dir());
  util::ensure_directory(trial.verifier_dir());
  fs::create_symlink(tmp / "secret", trial.instruction_file());
  REQUIRE(::mkfifo(trial.trajectory_file().c_str(), 0644) == 0);
  util::write_file_atomic(tmp / "elsewhere.json", R"({"passed": 3})");
  fs::create_symlink(tmp / "elsewhere.json", trial.result_file());

  CHECK_THROWS_WITH(read_job_file(trial.instruction_file()),
                    Catch::Contains("instruction.md") && Catch::Contains("symbolic link") &&
                        !Catch::Contains("host-secret"));
  CHECK_FALSE(try_read_job_file(trial.instruction_file()).has_value());
  CHECK_THROWS_WITH(read_job_json(trial.trajectory_file()), Catch::Contains("a FIFO"));
  CHECK(try_read_job_json(trial.trajectory_file()).is_discarded());
  CHECK(try_read_job_json(trial.result_file()).is_discarded());
  CHECK(JobDir(tmp / "job").trials().empty());  // a linked result.json is no trial

  // A link in place of agent/ itself, to a directory holding a plausible file.
  util::ensure_directory(tmp / "fake-agent");
  util::write_file_atomic(tmp / "fake-agent" / "stage_traces.json", "[]");
  const TrialDir other(tmp / "job" / "other");
  util::ensure_directory(other.path());
  fs::create_directory_symlink(tmp / "fake-agent", other.agent_dir());
  CHECK_THROWS_WITH(read_job_json(other.stage_traces_file()),
                    Catch::Contains("agent is a symbolic link"));
  CHECK(try_read_job_json(other.stage_traces_file()).is_discarded());

  util::write_file_atomic(tmp / "job" / "plain.md", "plain\n");
  CHECK(read_job_file(tmp / "job" / "plain.md") == "plain\n");
  CHECK_FALSE(try_read_job_file(tmp / "job" / "missing.md").has_value());
}

TEST_CASE("a trial passes with reward 1, within rounding", "[bench][job_dir]") {
  CHECK(is_passing_reward(1.0));
  CHECK(is_passing_reward(0.9999999999));
  CHECK_FALSE(is_passing_reward(0.999));
  CHECK_FALSE(is_passing_reward(0.0));
}

TEST_CASE("a new trial is named as Harbor names trials: task[:32]__ and 7 random characters",
          "[bench][job_dir]") {
  testing::TempDir tmp;
  const JobDir job(tmp / "job");
  std::regex shape("hello-world__[2-9A-HJ-NP-Za-km-z]{7}");
  std::string a = job.new_trial("hello-world").name(), b = job.new_trial("hello-world").name();
  CHECK(std::regex_match(a, shape));
  CHECK(std::regex_match(b, shape));
  CHECK(a != b);
  // 32 characters at most, without the '-' or '_' the cut leaves at the end.
  std::string cut = job.new_trial("a-task-name-that-is-far-too-long-for-harbor").name();
  CHECK(cut.substr(0, cut.size() - 9) == "a-task-name-that-is-far-too-long");
  CHECK(job.new_trial("abcdefghijklmnopqrstuvwxyz01234-xyz").name().starts_with(
      "abcdefghijklmnopqrstuvwxyz01234__"));
}

TEST_CASE("job and trial ids are random version 4 UUIDs", "[bench][job_dir]") {
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::string a = new_uuid(), b = new_uuid();
  CHECK(std::regex_match(a, uuid));
  CHECK(std::regex_match(b, uuid));
  CHECK(a != b);
}

TEST_CASE("a trial's reward is the reward key, the only key, or every key at 1",
          "[bench][job_dir][reward]") {
  using nlohmann::json;
  CHECK(reward_of(json{{"reward", 0.5}, {"quality", 1.0}}) == 0.5);
  CHECK(reward_of(json{{"correctness", 1}}) == 1.0);
  CHECK(reward_of(json{{"correctness", 1}, {"performance", 1}}) == 1.0);
  CHECK(is_passing_reward(reward_of(json{{"correctness", 1}, {"performance", 1.0}})));
  CHECK(reward_of(json{{"correctness", 1}, {"performance", 0.5}}) == 0.75);
  CHECK_FALSE(is_passing_reward(reward_of(json{{"correctness", 1}, {"performance", 0.5}})));
  CHECK(reward_of(json(nullptr)) == 0.0);
  CHECK(reward_of(json::object()) == 0.0);
}
