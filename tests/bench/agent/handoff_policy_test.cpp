// Handoff rules against the fake upstream: raw, unchanged within budget, one compression call
// told the next stage's role, and truncation with a marker when that call fails.
#include "autoswarm/bench/agent/handoff_policy.h"

#include <catch2/catch.hpp>

#include "autoswarm/llm/client.h"
#include "support/fake_upstream.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::FakeUpstream;
using nlohmann::json;

namespace {

struct HandoffFixture {
  FakeUpstream fake{{.models = {{"planner-model", true}}}};
  llm::Client client{fake.client_options()};
  PipelineSpec spec;
  StageSpec plan, execute;
  HandoffSpec handoff;

  HandoffFixture() {
    plan.id = "plan";
    plan.system_prompt = "You plan.";
    execute.id = "execute";
    execute.system_prompt = "You execute the plan with shell commands.";
    handoff.from = "plan";
    handoff.to = "execute";
    handoff.token_budget = 10;  // 40 characters
    spec.model = "planner-model";
  }

  HandoffResult apply(const std::string& output, const HandoffSpec* h) {
    return HandoffPolicy(&client, spec, "run-model").apply(h, plan, execute, output, "Fix /app/x.py");
  }
};

const std::string kLong =
    "Step 1: edit /app/src/main.py line 42. Error was ValueError: bad 7. Then run pytest -k foo.";

}  // namespace

TEST_CASE("estimate_tokens is about four characters a token", "[bench][handoff]") {
  CHECK(estimate_tokens("") == 0);
  CHECK(estimate_tokens("abcd") == 1);
  CHECK(estimate_tokens("abcde") == 2);
}

TEST_CASE("no handoff entry, or an output within budget, passes unchanged", "[bench][handoff]") {
  HandoffFixture f;
  HandoffResult none = f.apply(kLong, nullptr);
  CHECK(none.method == "unchanged");
  CHECK(none.text == kLong);
  HandoffResult fits = f.apply("short plan", &f.handoff);
  CHECK(fits.method == "unchanged");
  CHECK(fits.text == "short plan");
  f.handoff.token_budget.reset();
  CHECK(f.apply(kLong, &f.handoff).method == "unchanged");
  CHECK(f.fake.requests().empty());
}

TEST_CASE("include_raw_output passes the output raw whatever its size", "[bench][handoff]") {
  HandoffFixture f;
  f.handoff.include_raw_output = true;
  HandoffResult r = f.apply(kLong, &f.handoff);
  CHECK(r.method == "raw");
  CHECK(r.text == kLong);
  CHECK(f.fake.requests().empty());
}

TEST_CASE("an output over budget is compressed by one call told the next stage's role", "[bench][handoff]") {
  HandoffFixture f;
  f.handoff.format = OutputFormat::kBulletList;
  f.spec.pricing["planner-model"] = {1.0, 1.0};
  f.fake.set_script(R"(
rules:
  - match: {system: "condense"}
    reply: {content: "- edit /app/src/main.py:42", usage: {prompt_tokens: 100, completion_tokens: 10}}
)");
  HandoffResult r = f.apply(kLong, &f.handoff);
  CHECK(r.method == "compressed");
  CHECK(r.text == "- edit /app/src/main.py:42");
  CHECK(r.input_chars == kLong.size());
  CHECK(r.model == "planner-model");
  CHECK(r.usage.prompt_tokens == 100);
  CHECK(r.usage.cost_usd == Approx(110 / 1e6));
  REQUIRE(r.reply);
  json j = r.to_json();
  CHECK(j["method"] == "compressed");
  CHECK(j["output_chars"] == r.text.size());

  auto reqs = f.fake.requests();
  REQUIRE(reqs.size() == 1);
  const json& body = reqs[0]["body"];
  CHECK(body["model"] == "planner-model");
  CHECK_FALSE(body.contains("tools"));
  std::string system = body["messages"][0]["content"];
  CHECK_THAT(system, Catch::Contains("identifier, file path, command, error message and number"));
  CHECK_THAT(system, Catch::Contains("10 tokens (about 40 characters)"));
  CHECK_THAT(system, Catch::Contains("bullet list"));
  std::string user = body["messages"][1]["content"];
  CHECK_THAT(user, Catch::Contains("THE NEXT STAGE: execute"));
  CHECK_THAT(user, Catch::Contains("You execute the plan with shell commands."));
  CHECK_THAT(user, Catch::Contains("Fix /app/x.py"));
  CHECK_THAT(user, Catch::EndsWith(kLong));
}

TEST_CASE("a compressed reply still over budget is cut to it", "[bench][handoff]") {
  HandoffFixture f;
  f.handoff.token_budget = 40;
  f.fake.set_script("rules:\n  - reply: {content: '" + std::string(200, 'z') + "'}\n");
  HandoffResult r = f.apply(std::string(300, 'a'), &f.handoff);
  CHECK(r.method == "compressed");
  CHECK(r.text.size() <= 160);
  CHECK_THAT(r.text, Catch::StartsWith("zz") && Catch::Contains("handoff truncated"));
}

TEST_CASE("when compression fails the output is truncated with a marker", "[bench][handoff]") {
  HandoffFixture f;
  f.handoff.token_budget = 30;  // 120 characters
  const std::string output = std::string(150, 'a') + std::string(150, 'b');
  SECTION("the call fails") {
    f.fake.set_script("rules:\n  - fault: {status: 500}\n");
    HandoffResult r = f.apply(output, &f.handoff);
    CHECK(r.method == "truncated");
    CHECK(r.text.size() <= 120);
    CHECK_THAT(r.text, Catch::StartsWith("aaaa"));
    CHECK_THAT(r.text, Catch::Contains("[handoff truncated:") && Catch::Contains("of 300 characters kept"));
    CHECK_THAT(r.error, Catch::StartsWith("compression call failed"));
    CHECK_FALSE(r.reply);
    CHECK(r.to_json()["error"] == r.error);
  }
  SECTION("the call answers nothing") {
    f.fake.set_script("rules:\n  - reply: {content: '   '}\n");
    HandoffResult r = f.apply(output, &f.handoff);
    CHECK(r.method == "truncated");
    CHECK_THAT(r.text, Catch::Contains("compression failed"));
    CHECK_THAT(r.error, Catch::Contains("replied with no text"));
    CHECK(r.reply);
  }
  SECTION("there is no client") {
    HandoffResult r = HandoffPolicy(nullptr, f.spec, "m").apply(&f.handoff, f.plan, f.execute, output, "t");
    CHECK(r.method == "truncated");
    CHECK(f.fake.requests().empty());
  }
}
