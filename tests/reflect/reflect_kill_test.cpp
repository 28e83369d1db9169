// The crash guarantee of `autoswarm reflect`: killed with SIGKILL at arbitrary points of runs
// over dozens of conversations, then run again, it leaves a skills.yaml that parses, no lesson
// twice, and every conversation reviewed exactly once.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "autoswarm/reflect/novelty.h"
#include "reflect/reflect_test_support.h"
#include "support/fake_upstream.h"

using autoswarm::testing::FakeUpstream;
using autoswarm::testing::ReflectHome;
using nlohmann::json;

namespace {

// Distinct lessons (each novel against the others).
const std::vector<std::string> kLessons = {
    "When the user asks for a shell one-liner, give the command first and explain it after.",
    "Use tabs, not spaces, to indent recipe lines in Makefiles.",
    "Answer in French when the user writes in French.",
    "Prefer ripgrep over grep for searching large source trees.",
    "Quote file paths that may contain spaces in every shell command.",
    "For Python packaging questions, recommend pyproject.toml over setup.py.",
    "Show git commands with the branch name spelled out, never HEAD~ shorthand.",
    "When asked about Docker images, mention the slim variant to save space.",
    "Give SQL examples for PostgreSQL unless the user names another database.",
    "Keep code answers under forty lines unless the user asks for a full program.",
    "Explain regular expressions piece by piece after showing the whole pattern.",
    "Use ISO 8601 dates in every example that contains a date.",
    "In C++ answers, prefer std::string_view for read-only string parameters.",
    "Suggest systemd timers rather than cron on modern Linux servers.",
    "When the user pastes a stack trace, name the failing frame before anything else.",
    "Recommend uv for creating Python virtual environments quickly.",
    "Put units on every number in performance answers.",
    "Use metric units unless the user writes in imperial ones.",
    "Link to the official documentation page when citing an API.",
    "Ask which operating system the user runs before giving install steps.",
};

// Conversation n: every third (3k) teaches lesson k, the next (3k+1) repeats it in other words
// (a near duplicate that must be skipped), the rest teach nothing.
std::string reply_for(int n) {
  const int lesson = n / 3;
  if (n % 3 == 0) return json{{"lesson", kLessons.at(static_cast<size_t>(lesson) % kLessons.size())}}.dump();
  if (n % 3 == 1 && lesson > 0) {
    return json{{"lesson", "Remember: " + kLessons.at(static_cast<size_t>(lesson) % kLessons.size())}}.dump();
  }
  return R"({"lesson": null})";
}

std::string script_for(int first, int last) {
  json rules = json::array({{{"match", {{"system", "You curate a skillbook"}}}, {"reply", {{"content", R"({"remove": []})"}}}}});
  for (int n = first; n <= last; ++n) {
    rules.push_back({{"match", {{"system", "You review one conversation"}, {"content", "topic-" + std::to_string(n) + "\\b"}}},
                     {"reply", {{"content", reply_for(n)}}}});
  }
  return json{{"rules", rules}}.dump();
}

}  // namespace

TEST_CASE("reflect killed with SIGKILL at many points never loses or doubles anything", "[reflect][kill]") {
  // Slow enough per call that a whole round outlasts most kill timeouts, however fast the machine.
  FakeUpstream fake({.latency_ms = 15});
  ReflectHome h;
  std::mt19937 rng(20261129);
  int kills = 0, runs = 0, logged = 0;
  constexpr int kRounds = 4, kPerRound = 20;
  fake.set_script(script_for(1, kRounds * kPerRound));

  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) {
      ++logged;
      h.log(logged, {.question = "topic-" + std::to_string(logged) + " a question"});
    }
    // Kill runs at random moments until one completes; each killed run made some progress.
    for (int attempt = 0;; ++attempt) {
      REQUIRE(attempt < 200);
      autoswarm::util::ProcessOptions o;
      o.timeout = std::chrono::milliseconds(std::uniform_int_distribution<int>(3, 120)(rng));
      auto r = h.run({"reflect", "--upstream", fake.url()}, o);
      ++runs;
      if (r.timed_out) {
        ++kills;
        // Whatever state it died in must be readable as it is.
        REQUIRE_NOTHROW(h.skills());
        continue;
      }
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      break;
    }
  }
  // A last run must find nothing left.
  auto final_run = h.run({"reflect", "--upstream", fake.url()});
  CHECK(final_run.out == "reviewed=0 added=0 skipped=0 pruned=0\n");
  INFO("runs=" << runs << " kills=" << kills);
  CHECK(kills >= 10);

  // skills.yaml parses, holds each lesson once, and exactly the lessons the script taught.
  auto book = h.skills();
  std::set<std::string> texts, norms;
  for (const auto& s : book.skills) {
    CHECK(texts.insert(s.text).second);
    CHECK(norms.insert(autoswarm::reflect::normalise(s.text)).second);
    CHECK(s.sources.size() == 1);
  }
  std::set<std::string> expected;
  for (int n = 3; n <= logged; n += 3) expected.insert(kLessons.at(static_cast<size_t>(n / 3) % kLessons.size()));
  CHECK(texts == expected);

  // Every conversation reviewed exactly once.
  auto marks = h.review_marks();
  CHECK(marks.size() == static_cast<size_t>(logged));
  for (int n = 1; n <= logged; ++n) {
    INFO(ReflectHome::id_for(n));
    CHECK(marks[ReflectHome::id_for(n)] == 1);
  }
  // No temp files left behind by a writer that was killed.
  for (const auto& e : std::filesystem::directory_iterator(h.home())) {
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
  }
}
