// The per-stage judge of `bench eval` against the fake upstream scripted as the judge, on
// synthetic job directories: scores stored and read back, the aggregate, tolerant and
// unparsable answers, failed calls, re-use of stored scores and --force, executed-stage lists.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "autoswarm/bench/loop/stage_judge.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/util/error.h"
#include "bench/loop/eval_job_fixture.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::bench::EvalOptions;
using autoswarm::bench::evaluate_job;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::TempDir;
using nlohmann::json;

namespace {

// alpha: plan 0.8 (plain JSON), execute 1.0; beta: plan 0.4 (fenced, trailing comma, prose),
// execute "60%"; anything about gamma: prose without JSON.
const char* kJudgeScript = R"(
rules:
  - match: {system: "judge", content: "Task gamma"}
    reply: {content: "I think this stage did fine overall."}
  - match: {system: "judge", content: "Task alpha[\\s\\S]*JUDGED: plan"}
    reply: {content: '{"score": 0.8, "missing": "the file mode", "assessment": "a clear plan"}'}
  - match: {system: "judge", content: "Task alpha[\\s\\S]*JUDGED \\(the final stage\\): execute"}
    reply: {content: '{"score": 1.0, "missing": "", "assessment": "solved"}'}
  - match: {system: "judge", content: "Task beta[\\s\\S]*JUDGED: plan"}
    reply: {content: "<think>hmm</think>Here is my verdict:\n```json\n{\"score\": 0.4, \"missing\": \"paths\", \"assessment\": \"vague\",}\n```"}
  - match: {system: "judge", content: "Task beta[\\s\\S]*JUDGED \\(the final stage\\): execute"}
    reply: {content: '{"score": "60%", "missing": "a check", "assessment": "probably solved"}'}
)";

json read_json(const fs::path& p) { return json::parse(autoswarm::util::read_file(p)); }

struct Judge {
  FakeUpstream fake;
  autoswarm::llm::Client client;
  EvalOptions options;

  explicit Judge(const char* script) : client(fake.client_options()) {
    fake.set_script(script);
    options.client = &client;
    options.model = "fake-model";
  }

  std::vector<std::string> run(const fs::path& job, std::string* aggregate = nullptr) {
    std::vector<std::string> lines;
    auto result = evaluate_job(job, options, [&](const auto& t) { lines.push_back(t.line()); });
    if (aggregate) *aggregate = result.aggregate_line();
    return lines;
  }
};

}  // namespace

TEST_CASE("bench eval judges every stage, stores the scores and aggregates them", "[bench][eval]") {
  TempDir tmp;
  using autoswarm::testing::eval_plan_execute_trial;
  autoswarm::testing::write_eval_job(tmp / "job", {eval_plan_execute_trial("alpha"), eval_plan_execute_trial("beta", 0.0)});
  Judge judge(kJudgeScript);
  std::string aggregate;
  auto lines = judge.run(tmp / "job", &aggregate);
  CHECK(lines == std::vector<std::string>{"alpha plan:0.80,execute:1.00", "beta plan:0.40,execute:0.60"});
  CHECK(aggregate == "stage_scores: plan:0.60,execute:0.80");

  json stored = read_json(tmp / "job" / "alpha" / "agent" / "stage_scores.json");
  REQUIRE(stored["stages"].size() == 2);
  CHECK(stored["task_name"] == "alpha");
  CHECK(stored["judge_model"] == "fake-model");
  CHECK(stored["stages"][0]["stage"] == "plan");
  CHECK(stored["stages"][0]["next_stage"] == "execute");
  CHECK(stored["stages"][0]["score"] == 0.8);
  CHECK(stored["stages"][0]["missing"] == "the file mode");
  CHECK(stored["stages"][0]["assessment"] == "a clear plan");
  CHECK(stored["stages"][1]["next_stage"].is_null());
  CHECK(stored["aggregate"]["execute"] == 1.0);
  CHECK(autoswarm::bench::format_stage_scores(autoswarm::bench::stored_job_stage_scores(tmp / "job")) ==
        "plan:0.60,execute:0.80");

  // What the judge saw: the task, the stage's role, its output, and the next stage's id and role.
  auto requests = judge.fake.requests();
  REQUIRE(requests.size() == 4);
  bool saw_plan = false;
  for (const auto& r : requests) {
    CHECK(r["body"]["temperature"] == 0.0);
    std::string user = r["body"]["messages"][1]["content"];
    if (user.find("Task alpha") == std::string::npos || user.find("JUDGED: plan") == std::string::npos) continue;
    saw_plan = true;
    CHECK_THAT(user, Catch::Contains("PLANNER. You write a short plan.") &&
                         Catch::Contains("- write /app/alpha.txt") &&
                         Catch::Contains("THE NEXT STAGE, WHICH RECEIVED THIS OUTPUT: execute") &&
                         Catch::Contains("EXECUTOR. You carry out the plan."));
  }
  CHECK(saw_plan);
}

TEST_CASE("bench eval scores an unparsable judge answer 0 and records why", "[bench][eval]") {
  TempDir tmp;
  autoswarm::testing::write_eval_job(tmp / "job", {autoswarm::testing::eval_plan_execute_trial("gamma")});
  Judge judge(kJudgeScript);
  std::string aggregate;
  CHECK(judge.run(tmp / "job", &aggregate) == std::vector<std::string>{"gamma plan:0.00,execute:0.00"});
  CHECK(aggregate == "stage_scores: plan:0.00,execute:0.00");
  json stored = read_json(tmp / "job" / "gamma" / "agent" / "stage_scores.json");
  CHECK_THAT(stored["stages"][0]["error"].get<std::string>(),
             Catch::StartsWith("unparsable judge answer") && Catch::Contains("I think this stage did fine"));
  CHECK_FALSE(stored["stages"][0].contains("call_failed"));
}

TEST_CASE("bench eval re-uses stored scores unless forced", "[bench][eval]") {
  TempDir tmp;
  autoswarm::testing::write_eval_job(tmp / "job", {autoswarm::testing::eval_plan_execute_trial("alpha")});
  Judge judge(kJudgeScript);
  judge.run(tmp / "job");
  REQUIRE(judge.fake.requests().size() == 2);
  CHECK(autoswarm::bench::judge_calls_needed(tmp / "job", false) == 0);
  CHECK(autoswarm::bench::judge_calls_needed(tmp / "job", true) == 2);

  judge.fake.clear_requests();
  judge.fake.set_script(R"(default_reply: '{"score": 0.1, "missing": "", "assessment": "meh"}')");
  CHECK(judge.run(tmp / "job") == std::vector<std::string>{"alpha plan:0.80,execute:1.00"});
  CHECK(judge.fake.requests().empty());

  judge.options.force = true;
  CHECK(judge.run(tmp / "job") == std::vector<std::string>{"alpha plan:0.10,execute:0.10"});
  CHECK(judge.fake.requests().size() == 2);
  CHECK(read_json(tmp / "job" / "alpha" / "agent" / "stage_scores.json")["stages"][0]["score"] == 0.1);
}

TEST_CASE("bench eval: a failed judge call is recorded and judged again next time", "[bench][eval]") {
  TempDir tmp;
  autoswarm::testing::write_eval_job(tmp / "job", {autoswarm::testing::eval_plan_execute_trial("alpha")});
  Judge judge(R"(
rules:
  - match: {content: "JUDGED: plan"}
    fault: {status: 500}
  - reply: {content: '{"score": 0.9}'}
)");
  auto result = evaluate_job(tmp / "job", judge.options);
  CHECK(result.failed_calls == 1);
  CHECK(result.trials[0].line() == "alpha plan:0.00,execute:0.90 (1 judge calls failed)");
  CHECK(result.aggregate_line() == "stage_scores: execute:0.90");
  json stored = read_json(tmp / "job" / "alpha" / "agent" / "stage_scores.json");
  CHECK(stored["stages"][0]["call_failed"] == true);
  CHECK_THAT(stored["stages"][0]["error"].get<std::string>(), Catch::StartsWith("the judge call failed"));

  CHECK(autoswarm::bench::judge_calls_needed(tmp / "job", false) == 2);
  judge.fake.set_script(R"(default_reply: '{"score": 0.5}')");
  CHECK(judge.run(tmp / "job") == std::vector<std::string>{"alpha plan:0.50,execute:0.50"});
}

TEST_CASE("bench eval judges each executed stage against the one that consumed its output",
          "[bench][eval]") {
  TempDir tmp;
  // A verify-retry run: plan→execute→verify→execute→verify.
  autoswarm::testing::EvalTrial trial{"delta", "Task delta: fix it", 1.0,
                                      {{"plan", "PLANNER.", "plan"},
                                       {"execute", "EXECUTOR.", "first try"},
                                       {"verify", "VERIFIER.", "FAIL: test 2"},
                                       {"execute", "EXECUTOR.", "second try"},
                                       {"verify", "VERIFIER.", "PASS"}}};
  autoswarm::testing::write_eval_job(tmp / "job", {trial}, "plan→execute→verify→execute→verify");
  Judge judge(R"(
rules:
  - match: {content: "JUDGED: execute[\\s\\S]*first try"}
    reply: {content: '{"score": 0.2}'}
  - match: {content: "JUDGED: verify[\\s\\S]*RECEIVED THIS OUTPUT: execute"}
    reply: {content: '{"score": 0.7}'}
  - reply: {content: '{"score": 1}'}
)");
  std::string aggregate;
  CHECK(judge.run(tmp / "job", &aggregate) ==
        std::vector<std::string>{"delta plan:1.00,execute:0.20,verify:0.70,execute:1.00,verify:1.00"});
  CHECK(aggregate == "stage_scores: plan:1.00,execute:0.60,verify:0.85");
  json stages = read_json(tmp / "job" / "delta" / "agent" / "stage_scores.json")["stages"];
  REQUIRE(stages.size() == 5);
  CHECK(stages[1]["next_stage"] == "verify");
  CHECK(stages[2]["next_stage"] == "execute");
  CHECK(stages[3]["next_stage"] == "verify");
  CHECK(stages[4]["next_stage"].is_null());
}

TEST_CASE("bench eval follows consumed_by: branches to their synthesis stage, a tool stage to its caller",
          "[bench][eval]") {
  TempDir tmp;
  // plan→[solve_a|solve_b]→pick, with solve_a calling review as a tool.
  using autoswarm::testing::EvalStage;
  autoswarm::testing::EvalTrial trial{"epsilon", "Task epsilon", 1.0,
                                      {EvalStage{"plan", "PLANNER.", "plan", "", "solve_a"},
                                       EvalStage{"solve_a", "SOLVER A.", "a", "", "pick"},
                                       EvalStage{"review", "REVIEWER.", "looks fine", "", "solve_a"},
                                       EvalStage{"solve_b", "SOLVER B.", "b", "", "pick"},
                                       EvalStage{"pick", "JUDGE.", "CHOSEN: solve_a", "", nullptr}}};
  autoswarm::testing::write_eval_job(tmp / "job", {trial}, "plan→[solve_a|solve_b]→pick");
  Judge judge(R"(
rules:
  - match: {content: "JUDGED: review[\\s\\S]*RECEIVED THIS OUTPUT: solve_a"}
    reply: {content: '{"score": 0.4}'}
  - reply: {content: '{"score": 1}'}
)");
  CHECK(judge.run(tmp / "job") ==
        std::vector<std::string>{"epsilon plan:1.00,solve_a:1.00,review:0.40,solve_b:1.00,pick:1.00"});
  json stages = read_json(tmp / "job" / "epsilon" / "agent" / "stage_scores.json")["stages"];
  REQUIRE(stages.size() == 5);
  CHECK(stages[0]["next_stage"] == "solve_a");
  CHECK(stages[1]["next_stage"] == "pick");
  CHECK(stages[2]["next_stage"] == "solve_a");
  CHECK(stages[3]["next_stage"] == "pick");
  CHECK(stages[4]["next_stage"].is_null());
}

TEST_CASE("bench eval runs judge calls concurrently and bounds what the judge sees", "[bench][eval]") {
  TempDir tmp;
  std::vector<autoswarm::testing::EvalTrial> trials;
  for (int i = 0; i < 4; ++i) trials.push_back(autoswarm::testing::eval_plan_execute_trial("t" + std::to_string(i)));
  trials[0].stages[1].input_context = std::string(200000, 'x') + "ü";
  autoswarm::testing::write_eval_job(tmp / "job", trials);
  Judge judge(R"(default_reply: '{"score": 0.5}')");
  judge.options.n_concurrent = 4;
  std::string aggregate;
  auto lines = judge.run(tmp / "job", &aggregate);
  CHECK(lines == std::vector<std::string>{"t0 plan:0.50,execute:0.50", "t1 plan:0.50,execute:0.50",
                                          "t2 plan:0.50,execute:0.50", "t3 plan:0.50,execute:0.50"});
  CHECK(aggregate == "stage_scores: plan:0.50,execute:0.50");
  for (const auto& r : judge.fake.requests()) {
    std::string user = r["body"]["messages"][1]["content"];
    CHECK(user.size() < 30000);
  }
}

TEST_CASE("bench eval: trials without stage traces, and directories that are not jobs",
          "[bench][eval]") {
  TempDir tmp;
  autoswarm::testing::write_eval_job(tmp / "job", {autoswarm::testing::eval_plan_execute_trial("alpha")});
  fs::remove(tmp / "job" / "alpha" / "agent" / "stage_traces.json");
  Judge judge(R"(default_reply: '{"score": 0.5}')");
  std::string aggregate;
  CHECK(judge.run(tmp / "job", &aggregate) == std::vector<std::string>{"alpha (no stages)"});
  CHECK(aggregate == "stage_scores: ");
  CHECK(judge.fake.requests().empty());
  CHECK_THROWS_AS(evaluate_job(tmp / "missing", judge.options), autoswarm::FileError);
  autoswarm::util::ensure_directory(tmp / "empty");
  CHECK_THROWS_WITH(evaluate_job(tmp / "empty", judge.options), Catch::Contains("holds no trials"));
}

TEST_CASE("bench eval never sends the judge a host file that a link in the job points at",
          "[bench][eval]") {
  TempDir tmp;
  autoswarm::testing::write_eval_job(tmp / "job", {autoswarm::testing::eval_plan_execute_trial("alpha")});
  autoswarm::util::write_file_atomic(tmp / "shadow", "root:$6$host-secret:19000:0:99999:7:::\n");
  // What an agent's `ln -sf /etc/shadow /logs/agent/instruction.md` became in older jobs.
  const fs::path instruction = tmp / "job" / "alpha" / "agent" / "instruction.md";
  fs::remove(instruction);
  fs::create_symlink(tmp / "shadow", instruction);
  Judge judge(R"(default_reply: '{"score": 0.5}')");
  CHECK(judge.run(tmp / "job") == std::vector<std::string>{"alpha plan:0.50,execute:0.50"});
  auto requests = judge.fake.requests();
  REQUIRE(requests.size() == 2);
  for (const auto& r : requests) CHECK_THAT(r.dump(), !Catch::Contains("host-secret"));
}

TEST_CASE("judge answers are read tolerantly", "[bench][eval]") {
  using autoswarm::bench::parse_judge_answer;
  CHECK(parse_judge_answer(R"({"score": 0.75, "missing": "x", "assessment": "y"})").score == 0.75);
  CHECK(parse_judge_answer("Verdict: {\"score\": \"0.3\"} done").score == Approx(0.3));
  CHECK(parse_judge_answer(R"({"score": 85})").score == Approx(0.85));
  CHECK(parse_judge_answer(R"({"score": -2})").score == 0.0);
  auto none = parse_judge_answer(R"({"assessment": "no score"})");
  CHECK(none.score == 0.0);
  CHECK_THAT(none.error, Catch::StartsWith("unparsable judge answer"));
  CHECK_THAT(parse_judge_answer("").error, Catch::Contains("(empty reply)"));
}
