// A job's summary: the last line `bench run` prints, and the result.json fields Harbor users and
// `bench record` read (passed, avg_score, topology, reward and exception stats).
#include <catch2/catch.hpp>

#include "autoswarm/bench/trials/job.h"

using autoswarm::bench::JobResult;
using autoswarm::bench::TrialError;
using autoswarm::bench::TrialResult;

namespace {

TrialResult trial(const std::string& name, double reward, const std::string& topology, int turns,
                  std::optional<std::string> error = std::nullopt) {
  TrialResult t;
  t.task_name = "org/" + name;
  t.trial_name = name + "__abcdefg";
  t.agent_name = "autoswarm-pipeline";
  t.model_name = "qwen";
  t.source = "tasks";
  if (!error)
    t.rewards = {{"reward", reward}};
  else
    t.error = TrialError{*autoswarm::bench::parse_trial_error_type(*error), "it failed", "2025-01-01T00:00:00.000Z"};
  t.topology = topology;
  t.turns = turns;
  t.usage.prompt_tokens = 100;
  t.usage.completion_tokens = 10;
  t.usage.cost_usd = 0.00125;
  return t;
}

JobResult job() {
  JobResult j;
  j.job_dir = "jobs/2025-01-01__00-00-00";
  j.job_name = "2025-01-01__00-00-00";
  j.id = "0b0e6c5e-3c1a-4f7e-9a51-2d3c4b5a6978";
  j.started_at = "2025-01-01T00:00:00.000Z";
  j.finished_at = "2025-01-01T00:01:00.000Z";
  j.agent = "pipeline";
  j.model = "qwen";
  j.declared_topology = "plan→execute";
  j.n_total = 4;
  j.trials = {trial("a", 1.0, "plan→execute", 5), trial("b", 0.0, "plan→execute", 7),
              trial("c", 0.5, "plan", 2), trial("d", 0, "plan→execute", 1, "AgentTimeoutError")};
  return j;
}

}  // namespace

TEST_CASE("the summary line counts only full rewards as passed", "[job]") {
  JobResult j = job();
  CHECK(j.passed() == 1);
  CHECK(j.avg_score() == Approx(0.375));
  CHECK(j.summary_line() ==
        "passed=1/4 avg_score=0.38 topology=plan→execute turns=15 cost_usd=0.0050 "
        "job=jobs/2025-01-01__00-00-00");
}

TEST_CASE("trials that never ran count as zero in avg_score", "[job]") {
  JobResult j = job();
  j.n_total = 8;
  j.interrupted = true;
  CHECK(j.avg_score() == Approx(0.1875));
  CHECK(j.summary_line().starts_with("passed=1/8 "));
}

TEST_CASE("without trials the topology is the declared one", "[job]") {
  JobResult j = job();
  j.trials.clear();
  CHECK(j.topology() == "plan→execute");
  CHECK(j.summary_line().starts_with("passed=0/4 avg_score=0.00 topology=plan→execute turns=0 "));
}

TEST_CASE("the job result.json is Harbor's JobResult with evals keyed agent__model__dataset",
          "[job]") {
  nlohmann::json r = job().harbor_json();
  CHECK(r["id"] == "0b0e6c5e-3c1a-4f7e-9a51-2d3c4b5a6978");
  CHECK(r["n_total_trials"] == 4);
  CHECK(r["updated_at"] == "2025-01-01T00:01:00.000Z");
  const auto& stats = r["stats"];
  CHECK(stats["n_completed_trials"] == 4);  // an errored trial is a finished one too
  CHECK(stats["n_errored_trials"] == 1);
  CHECK(stats["n_cancelled_trials"] == 0);
  CHECK(stats["n_pending_trials"] == 0);
  CHECK(stats["n_running_trials"] == 0);
  CHECK(stats["n_retries"] == 0);
  CHECK(stats["n_input_tokens"] == 400);
  CHECK(stats["n_output_tokens"] == 40);
  CHECK(stats["cost_usd"] == Approx(0.005));
  REQUIRE(stats["evals"].size() == 1);
  const auto& eval = stats["evals"]["autoswarm-pipeline__qwen__tasks"];
  CHECK(eval["n_trials"] == 3);  // the trials with rewards
  CHECK(eval["n_errors"] == 1);
  CHECK(eval["metrics"][0]["mean"] == Approx(0.375));
  CHECK(eval["reward_stats"]["reward"]["1.0"] == nlohmann::json::array({"a__abcdefg"}));
  CHECK(eval["reward_stats"]["reward"]["0.5"] == nlohmann::json::array({"c__abcdefg"}));
  CHECK(eval["exception_stats"]["AgentTimeoutError"] == nlohmann::json::array({"d__abcdefg"}));
  CHECK(eval["pass_at_k"] == nlohmann::json::object());  // one attempt per task: no k >= 2
  CHECK_FALSE(r.contains("passed"));                     // AutoSwarm's numbers: autoswarm.json
}

TEST_CASE("an agent without a model is keyed agent__dataset, and no dataset is adhoc", "[job]") {
  JobResult j = job();
  for (auto& t : j.trials) {
    t.agent_name = "oracle";
    t.model_name.clear();
  }
  j.trials[0].source.clear();
  nlohmann::json evals = j.harbor_json()["stats"]["evals"];
  CHECK(evals.contains("oracle__tasks"));
  CHECK(evals["oracle__adhoc"]["n_trials"] == 1);
}

TEST_CASE("cancelled trials are completed, errored and cancelled, unstarted ones pending", "[job]") {
  JobResult j = job();
  j.n_total = 6;
  j.trials.push_back(trial("e", 0, "", 0, "CancelledError"));
  nlohmann::json stats = j.harbor_json()["stats"];
  CHECK(stats["n_completed_trials"] == 5);
  CHECK(stats["n_errored_trials"] == 2);
  CHECK(stats["n_cancelled_trials"] == 1);
  CHECK(stats["n_pending_trials"] == 1);
}

TEST_CASE("autoswarm.json has the experiment's summary", "[job]") {
  nlohmann::json r = job().summary_json();
  CHECK(r["passed"] == 1);
  CHECK(r["pipeline_topology"] == "plan→execute");
  CHECK(r["tokens"]["prompt_tokens"] == 400);
  CHECK(r["cost_usd"] == Approx(0.005));
  CHECK(r["task_scores"]["org/c"] == 0.5);
  CHECK(r["task_scores"]["org/d"] == 0.0);
  CHECK(r["errors_by_type"]["AgentTimeoutError"] == nlohmann::json::array({"d__abcdefg"}));
  CHECK(r["trials"]["a__abcdefg"] == "org/a");
  CHECK(r["interrupted"] == false);
}

TEST_CASE("pass@k is 1 - C(n-c,k)/C(n,k)", "[job][pass_at_k]") {
  using autoswarm::bench::pass_at_k;
  CHECK(pass_at_k(5, 0, 2) == 0.0);
  CHECK(pass_at_k(5, 5, 2) == 1.0);
  CHECK(pass_at_k(4, 1, 2) == Approx(0.5));        // 1 - C(3,2)/C(4,2) = 1 - 3/6
  CHECK(pass_at_k(5, 2, 2) == Approx(0.7));        // 1 - C(3,2)/C(5,2) = 1 - 3/10
  CHECK(pass_at_k(10, 3, 5) == Approx(11.0 / 12)); // 1 - C(7,5)/C(10,5) = 1 - 21/252
  CHECK(pass_at_k(4, 3, 2) == 1.0);                // n - c < k
}

TEST_CASE("a trial result.json has Harbor's fields", "[job]") {
  TrialResult t = trial("a", 1.0, "plan→execute", 5);
  t.agent_name = "autoswarm-pipeline";
  t.model_name = "qwen";
  t.model_provider = "ollama";
  t.agent_execution = autoswarm::bench::PhaseTiming{"s", "f"};
  nlohmann::json r = t.to_json();
  CHECK(r["task_name"] == "org/a");
  CHECK(r["trial_name"] == "a__abcdefg");
  CHECK(r["source"] == "tasks");
  CHECK(r.contains("task_checksum"));
  CHECK(r["config"].is_object());
  CHECK(r["agent_info"]["name"] == "autoswarm-pipeline");
  CHECK(r["agent_info"]["model_info"]["provider"] == "ollama");
  CHECK(r["agent_result"]["n_input_tokens"] == 100);
  CHECK(r["agent_result"]["n_output_tokens"] == 10);
  CHECK(r["verifier_result"]["rewards"]["reward"] == 1.0);
  CHECK(r["exception_info"].is_null());
  CHECK(r["agent_execution"]["started_at"] == "s");
  CHECK(r["environment_setup"].is_null());

  TrialResult e = trial("d", 0, "", 0, "RewardFileNotFoundError");
  nlohmann::json er = e.to_json();
  CHECK(er["verifier_result"].is_null());
  CHECK(er["exception_info"]["exception_type"] == "RewardFileNotFoundError");
  CHECK(er["exception_info"]["exception_message"] == "it failed");
}

TEST_CASE("with -k attempts, passed counts tasks with a pass and pass^k those passing every time",
          "[job][pass_at_k]") {
  JobResult j;
  j.job_dir = "jobs/k";
  j.n_attempts = 4;
  j.n_total = 8;
  // Task a passes 1 of 4 attempts, task b all 4.
  for (double r : {1.0, 0.0, 0.0, 0.0}) j.trials.push_back(trial("a", r, "t", 1));
  for (int i = 0; i < 4; ++i) j.trials.push_back(trial("b", 1.0, "t", 1));
  CHECK(j.n_tasks() == 2);
  CHECK(j.passed() == 2);
  CHECK(j.passed_every_attempt() == 1);
  CHECK(j.summary_line() ==
        "passed=2/2 avg_score=0.62 topology=t turns=8 cost_usd=0.0100 pass^4=1/2 job=jobs/k");
  // pass@2: a: 1 - C(3,2)/C(4,2) = 0.5, b: 1; pass@4: a: 1 - C(3,4)/C(4,4) = 1, b: 1.
  nlohmann::json pass_at_k = j.harbor_json()["stats"]["evals"]["autoswarm-pipeline__qwen__tasks"]["pass_at_k"];
  CHECK(pass_at_k.size() == 2);
  CHECK(pass_at_k["2"] == Approx(0.75));
  CHECK(pass_at_k["4"] == Approx(1.0));
  nlohmann::json summary = j.summary_json();
  CHECK(summary["task_scores"]["org/a"] == Approx(0.25));  // the mean over the attempts
  CHECK(summary["n_tasks"] == 2);
  CHECK(summary["passed_every_attempt"] == 1);
}

TEST_CASE("pass@k is left out when a reward is not one binary key", "[job][pass_at_k]") {
  JobResult j;
  j.n_attempts = 2;
  j.n_total = 2;
  j.trials = {trial("a", 1.0, "t", 1), trial("a", 0.5, "t", 1)};
  CHECK(j.harbor_json()["stats"]["evals"]["autoswarm-pipeline__qwen__tasks"]["pass_at_k"] ==
        nlohmann::json::object());
}

TEST_CASE("retries skip Harbor's excluded error types and CancelledError, and back off", "[job][retry]") {
  autoswarm::bench::RetryPolicy policy;
  CHECK(policy.should_retry("EnvironmentStartError"));
  CHECK_FALSE(policy.should_retry("AgentTimeoutError"));
  CHECK_FALSE(policy.should_retry("RewardFileNotFoundError"));
  CHECK_FALSE(policy.should_retry("CancelledError"));
  policy.include = std::vector<std::string>{"EnvironmentBuildError"};
  CHECK(policy.should_retry("EnvironmentBuildError"));
  CHECK_FALSE(policy.should_retry("EnvironmentStartError"));
  policy.exclude = {"EnvironmentBuildError"};
  CHECK_FALSE(policy.should_retry("EnvironmentBuildError"));  // exclusion wins
  CHECK(policy.wait_before(0) == std::chrono::seconds(1));
  CHECK(policy.wait_before(3) == std::chrono::seconds(8));
  CHECK(policy.wait_before(10) == std::chrono::seconds(60));
}
