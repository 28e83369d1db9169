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
  t.trial_name = name;
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

TEST_CASE("the job result.json has Harbor's stats and the experiment's summary", "[job]") {
  nlohmann::json r = job().to_json("tasks");
  CHECK(r["n_total_trials"] == 4);
  CHECK(r["stats"]["n_errored_trials"] == 1);
  CHECK(r["stats"]["n_completed_trials"] == 4);
  const auto& eval = r["stats"]["evals"]["pipeline__qwen__tasks"];
  CHECK(eval["n_trials"] == 4);
  CHECK(eval["metrics"][0]["mean"] == Approx(0.375));
  CHECK(eval["reward_stats"]["reward"]["1.0"] == nlohmann::json::array({"a"}));
  CHECK(eval["reward_stats"]["reward"]["0.5"] == nlohmann::json::array({"c"}));
  CHECK(eval["exception_stats"]["AgentTimeoutError"] == nlohmann::json::array({"d"}));
  CHECK(r["passed"] == 1);
  CHECK(r["pipeline_topology"] == "plan→execute");
  CHECK(r["tokens"]["prompt_tokens"] == 400);
  CHECK(r["cost_usd"] == Approx(0.005));
  CHECK(r["task_scores"]["org/c"] == 0.5);
  CHECK(r["task_scores"]["org/d"] == 0.0);
  CHECK(r["interrupted"] == false);
}

TEST_CASE("a trial result.json has Harbor's fields", "[job]") {
  TrialResult t = trial("a", 1.0, "plan→execute", 5);
  t.agent_name = "autoswarm-pipeline";
  t.model_name = "qwen";
  t.model_provider = "ollama";
  t.agent_execution = autoswarm::bench::PhaseTiming{"s", "f"};
  nlohmann::json r = t.to_json();
  CHECK(r["task_name"] == "org/a");
  CHECK(r["trial_name"] == "a");
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
