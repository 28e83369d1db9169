// `autoswarm reflect` as cron runs it: the real binary over conversation logs in a temp data
// directory, asking a scripted fake upstream. Asserts what a user sees: the summary line, the
// exit code, skills.yaml, skills.removed.yaml and the review ledger.
#include <catch2/catch.hpp>

#include <thread>

#include "autoswarm/skills/removed_skills.h"
#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"
#include "reflect/reflect_test_support.h"
#include "support/fake_upstream.h"

using autoswarm::skills::RemovedSkills;
using autoswarm::skills::SkillBook;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::LoggedChat;
using autoswarm::testing::ReflectHome;
using nlohmann::json;

namespace {

constexpr const char* kLessonSystem = "You review one conversation";
constexpr const char* kPruneSystem = "You curate a skillbook";

// A fake-upstream script (JSON is YAML): lesson replies by topic, one prune reply, and
// "no lesson" for everything else.
struct Script {
  json rules = json::array();

  Script& lesson(int topic, const std::string& reply) {
    rules.push_back({{"match", {{"system", kLessonSystem}, {"content", "topic-" + std::to_string(topic) + "\\b"}}},
                     {"reply", {{"content", reply}}}});
    return *this;
  }
  Script& fail(int topic, int status) {
    rules.push_back({{"match", {{"system", kLessonSystem}, {"content", "topic-" + std::to_string(topic) + "\\b"}}},
                     {"fault", {{"status", status}}}});
    return *this;
  }
  Script& prune(const std::string& reply) {
    rules.push_back({{"match", {{"system", kPruneSystem}}}, {"reply", {{"content", reply}}}});
    return *this;
  }
  std::string yaml() const {
    json s = {{"rules", rules}, {"default_reply", R"({"lesson": null, "reason": "nothing to learn"})"}};
    return s.dump();
  }
};

std::string lesson_json(const std::string& text) { return json{{"lesson", text}, {"known_as", nullptr}}.dump(); }

// The chat requests the fake saw whose system prompt starts with `system`.
size_t calls_with(const FakeUpstream& fake, const std::string& system) {
  size_t n = 0;
  for (const auto& r : fake.requests()) {
    if (r["path"] != "/v1/chat/completions" || !r["body"].is_object()) continue;
    const auto& m = r["body"]["messages"];
    if (!m.empty() && m[0]["content"].get<std::string>().rfind(system, 0) == 0) ++n;
  }
  return n;
}

const std::string kLessonA = "When the user asks for a tar command, keep permissions with -p.";
const std::string kLessonB = "Answer in French when the user writes in French.";

}  // namespace

TEST_CASE("reflect adds novel lessons, skips the rest and prints one summary line", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  fake.set_script(Script()
                      .lesson(1, "Sure! Here is what I found:\n```json\n" + lesson_json(kLessonA) + "\n```")
                      .lesson(3, lesson_json("When the user asks for a tar command, keep the permissions with -p."))
                      .lesson(4, "I think the assistant did fine, nothing to add.")
                      .lesson(7, lesson_json(kLessonB))
                      .lesson(8, lesson_json("Always be helpful and answer questions clearly."))
                      .prune(R"({"remove": []})")
                      .yaml());
  for (int n : {1, 2, 3, 4, 7, 8}) h.log(n, {.question = "topic-" + std::to_string(n) + " some question"});
  h.log(5, {.question = "topic-5 failed upstream", .reply = "", .status = 502, .error = "upstream unreachable"});
  h.log(6, {.question = "topic-6 only tool calls", .reply = ""});

  auto r = h.run({"reflect", "--upstream", fake.url(), "-v"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  // topic-4's answer is prose: asked again by the next run, not reviewed.
  CHECK(r.out == "reviewed=7 added=2 skipped=5 pruned=0 unparsable=1\n");
  CHECK(calls_with(fake, kLessonSystem) == 6);  // not for the failed call or the empty reply
  CHECK(calls_with(fake, kPruneSystem) == 1);

  SkillBook book = h.skills();
  REQUIRE(book.skills.size() == 2);
  CHECK(book.skills[0].text == kLessonA);
  CHECK(book.skills[0].sources == std::vector<std::string>{ReflectHome::id_for(1)});
  CHECK(book.skills[1].text == kLessonB);
  CHECK(book.skills[1].sources == std::vector<std::string>{ReflectHome::id_for(7)});

  auto marks = h.review_marks();
  CHECK(marks.size() == 8);  // 7 reviews and topic-4's unparsable attempt
  for (const auto& [id, count] : marks) CHECK(count == 1);
  const std::string ledger = autoswarm::util::read_file(h.ledger_file());
  INFO(ledger);
  CHECK_THAT(ledger, Catch::Contains("\"id\":\"" + ReflectHome::id_for(3) + "\",") &&
                         Catch::Contains("near duplicate of " + book.skills[0].id + " (similarity 0."));
  CHECK_THAT(ledger, Catch::Contains("the call failed (status 502)"));
  CHECK_THAT(ledger, Catch::Contains("the reply has no text"));
  CHECK_THAT(ledger, Catch::Contains("the lesson is generic advice"));
  CHECK_THAT(ledger, Catch::Contains("no lesson: nothing to learn"));
  // The verbose log says why an answer could not be used.
  CHECK_THAT(r.err, Catch::Contains(ReflectHome::id_for(4) + ": the answer could not be read (no JSON object found"));

  // Nothing new: only the unparsable conversation is asked again; nothing else is written.
  fake.clear_requests();
  auto before = h.snapshot();
  auto again = h.run({"reflect", "--upstream", fake.url()});
  CHECK(again.exit_code == 0);
  CHECK(again.out == "reviewed=0 added=0 skipped=0 pruned=0 unparsable=1\n");
  CHECK(calls_with(fake, kLessonSystem) == 1);
  CHECK(h.review_marks()[ReflectHome::id_for(4)] == 2);
  auto after = h.snapshot();
  for (auto* snapshot : {&before, &after}) {
    snapshot->erase((h.home() / "reflect.lock").string());
    snapshot->erase(h.ledger_file().string());
  }
  CHECK(after == before);
}

TEST_CASE("the lesson prompt shows existing skills and a known_as answer skips the conversation", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  autoswarm::util::write_file_atomic(h.skills_file(),
                                     "version: 1\nskills:\n  - id: sk-aaaaaa\n    text: \"" + kLessonA + "\"\n");
  fake.set_script(Script().lesson(1, R"({"lesson": "Keep permissions.", "known_as": "sk-aaaaaa"})").prune(R"({"remove": []})").yaml());
  h.log(1, {.question = "topic-1 tar question"});
  auto r = h.run({"reflect", "--upstream", fake.url()});
  CHECK(r.out == "reviewed=1 added=0 skipped=1 pruned=0\n");
  const std::string prompt = fake.requests().at(1)["body"]["messages"][1]["content"];
  CHECK_THAT(prompt, Catch::Contains("- [sk-aaaaaa] " + kLessonA));
  CHECK_THAT(autoswarm::util::read_file(h.ledger_file()), Catch::Contains("already known as sk-aaaaaa"));
}

TEST_CASE("prune removes exactly the ids returned, into the audit file, with counts from the logs", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  autoswarm::util::write_file_atomic(h.skills_file(), R"(version: 1
skills:
  - id: sk-aaaaaa
    text: "Use tabs to indent Makefile recipes."
  - id: sk-bbbbbb
    text: "Always use spaces in Makefiles."
  - id: sk-cccccc
    text: "Prefer ripgrep over grep in large trees."
)");
  fake.set_script(Script()
                      .prune(R"(Looking at these: {"remove": [{"id": "sk-bbbbbb", "reason": "contradicts sk-aaaaaa"},
                                                                {"id": "sk-zzzzzz", "reason": "not shown"}]})")
                      .yaml());
  h.log(1, {.question = "topic-1 make says missing separator", .injected = {"sk-aaaaaa", "sk-bbbbbb"}});
  h.log(2, {.question = "topic-2 search the tree", .injected = {"sk-aaaaaa"}});

  auto r = h.run({"reflect", "--upstream", fake.url()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reviewed=2 added=0 skipped=2 pruned=1\n");

  SkillBook book = h.skills();
  REQUIRE(book.skills.size() == 2);
  CHECK(book.skills[0].id == "sk-aaaaaa");
  CHECK(book.skills[0].injected == 2);  // derived from the reviewed conversations
  CHECK(book.skills[1].id == "sk-cccccc");
  CHECK(book.skills[1].injected == 0);

  RemovedSkills audit = RemovedSkills::load(h.removed_file());
  REQUIRE(audit.removed.size() == 1);
  CHECK(audit.removed[0].skill.id == "sk-bbbbbb");
  CHECK(audit.removed[0].skill.injected == 1);
  CHECK(audit.removed[0].removed_by == "prune");
  CHECK(audit.removed[0].reason == "contradicts sk-aaaaaa");

  // The judge saw the book with the counts and the conversations with what was injected.
  json prune_call;
  for (const auto& req : fake.requests()) {
    if (req["body"].is_object() && req["body"]["messages"][0]["content"].get<std::string>().rfind(kPruneSystem, 0) == 0) {
      prune_call = req["body"];
    }
  }
  REQUIRE(prune_call.is_object());
  const std::string shown = prune_call["messages"][1]["content"];
  CHECK_THAT(shown, Catch::Contains("- [sk-aaaaaa] (injected into 2 requests) Use tabs"));
  CHECK_THAT(shown, Catch::Contains("skills_injected=\"sk-aaaaaa, sk-bbbbbb\""));

  // And the removal can be undone.
  auto restored = h.run({"skills", "restore", "sk-bbbbbb"});
  CHECK(restored.exit_code == 0);
  CHECK(restored.out == "restored sk-bbbbbb: Always use spaces in Makefiles.\n");
  CHECK(h.skills().skills.size() == 3);
}

TEST_CASE("failed calls leave their conversations unreviewed for the next run", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  fake.set_script(Script().fail(1, 500).prune(R"({"remove": []})").yaml());
  h.log(1, {.question = "topic-1 question"});
  h.log(2, {.question = "topic-2 question"});
  auto r = h.run({"reflect", "--upstream", fake.url()});
  INFO(r.err);
  CHECK(r.exit_code == 0);  // some calls worked
  CHECK(r.out == "reviewed=1 added=0 skipped=1 pruned=0 failed=1\n");
  CHECK_THAT(r.err, Catch::Contains("lesson call for " + ReflectHome::id_for(1)));
  CHECK(h.review_marks() == std::map<std::string, int>{{ReflectHome::id_for(2), 1}});

  fake.set_script(Script().lesson(1, lesson_json(kLessonA)).yaml());
  auto again = h.run({"reflect", "--upstream", fake.url(), "--no-prune"});
  CHECK(again.out == "reviewed=1 added=1 skipped=0 pruned=0\n");
  CHECK(h.review_marks().size() == 2);
}

TEST_CASE("an answer that is not JSON is asked again by later runs, then skipped; five in a row stop the run",
          "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  h.log(1, {.question = "topic-1 question"});
  h.log(2, {.question = "topic-2 question"});
  fake.set_script(Script().lesson(1, "I think the user wanted a tar command.").yaml());
  auto first = h.run({"reflect", "--upstream", fake.url(), "--no-prune"});
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out == "reviewed=1 added=0 skipped=1 pruned=0 unparsable=1\n");  // topic-2: no lesson
  fake.set_script(Script().lesson(1, "still prose").yaml());
  auto second = h.run({"reflect", "--upstream", fake.url(), "--no-prune"});
  CHECK(second.exit_code == 0);
  CHECK(second.out == "reviewed=0 added=0 skipped=0 pruned=0 unparsable=1\n");
  // The third unreadable answer is the last: skipped, with the reason in the ledger.
  auto third = h.run({"reflect", "--upstream", fake.url(), "--no-prune"});
  CHECK(third.out == "reviewed=1 added=0 skipped=1 pruned=0\n");
  CHECK_THAT(autoswarm::util::read_file(h.ledger_file()), Catch::Contains("unparsable: ") && Catch::Contains("(3 answers)"));
  CHECK(calls_with(fake, kLessonSystem) == 4);

  ReflectHome many;
  for (int i = 1; i <= 7; ++i) many.log(i, {.question = "topic-" + std::to_string(i) + " question"});
  FakeUpstream prose;
  prose.set_script(json{{"rules", json::array()}, {"default_reply", "Sure! Here is my review."}}.dump());
  auto r = many.run({"reflect", "--upstream", prose.url(), "--no-prune"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "reviewed=0 added=0 skipped=0 pruned=0 unparsable=5\n");
  CHECK_THAT(r.err, Catch::Contains("not the JSON asked for") && Catch::Contains("--model"));
  CHECK(calls_with(prose, kLessonSystem) == 5);
}

TEST_CASE("reflect exits 1 when every call fails or no upstream answers", "[reflect][cli]") {
  ReflectHome h;
  h.log(1, {.question = "topic-1 question"});
  h.log(2, {.question = "topic-2 question"});
  h.log(3, {.question = "topic-3 failed", .reply = "", .status = 500, .error = "boom"});

  SECTION("every call fails") {
    FakeUpstream fake;
    fake.set_script(Script().fail(1, 500).fail(2, 500).yaml());
    auto r = h.run({"reflect", "--upstream", fake.url()});
    CHECK(r.exit_code == 1);
    CHECK(r.out == "reviewed=1 added=0 skipped=1 pruned=0 failed=2\n");  // the failed chat needs no call
    CHECK_THAT(r.err, Catch::Contains("error: every call to the upstream failed"));
    CHECK(h.review_marks().size() == 1);
  }
  SECTION("nothing answers") {
    FakeUpstream closed;
    const std::string url = closed.url();
    closed.stop();
    auto r = h.run({"reflect", "--upstream", url});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("error: no usable LLM server found to reflect with"));
    CHECK_THAT(r.err, Catch::Contains(url));
    CHECK(r.out == "reviewed=0 added=0 skipped=0 pruned=0\n");  // stopped at the first that needs it
    CHECK(h.review_marks().empty());
  }
  SECTION("auto-detection finds nothing") {
    auto r = h.run({"reflect"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("LM Studio at http://127.0.0.1:9"));
  }
}

TEST_CASE("reflect with nothing to review needs no upstream and exits 0", "[reflect][cli]") {
  ReflectHome h;
  auto r = h.run({"reflect"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reviewed=0 added=0 skipped=0 pruned=0\n");
  autoswarm::testing::TempDir missing;
  auto none = autoswarm::util::run_process({AUTOSWARM_BINARY, "--home", (missing / "nope").string(), "reflect"});
  CHECK(none.exit_code == 0);
  CHECK(none.out == "reviewed=0 added=0 skipped=0 pruned=0\n");
  CHECK_FALSE(std::filesystem::exists(missing / "nope"));
}

TEST_CASE("reflect --dry-run prints what would be added and pruned and writes nothing", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  autoswarm::util::write_file_atomic(h.skills_file(),
                                     "version: 1\nskills:\n  - id: sk-aaaaaa\n    text: \"Too vague to use.\"\n");
  fake.set_script(Script()
                      .lesson(1, lesson_json(kLessonA))
                      .lesson(2, lesson_json(kLessonA))  // the same again: a duplicate of the would-be addition
                      .prune(R"({"remove": [{"id": "sk-aaaaaa", "reason": "too vague"}]})")
                      .yaml());
  h.log(1, {.question = "topic-1 q"});
  h.log(2, {.question = "topic-2 q"});
  const auto before = h.snapshot();
  auto r = h.run({"reflect", "--upstream", fake.url(), "--dry-run"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "would add: " + kLessonA + "  (from " + ReflectHome::id_for(1) + ")\n" +
                     "would prune: sk-aaaaaa Too vague to use.  (too vague)\n" +
                     "reviewed=2 added=1 skipped=1 pruned=1\n");
  CHECK(h.snapshot() == before);
  CHECK_FALSE(std::filesystem::exists(h.home() / "reflect.lock"));
}

TEST_CASE("reflect --limit bounds the conversations per run, oldest first", "[reflect][cli]") {
  FakeUpstream fake;
  fake.set_script(Script().yaml());  // every answer: no lesson
  ReflectHome h;
  for (int n = 1; n <= 5; ++n) h.log(n, {.question = "topic-" + std::to_string(n) + " q"});
  CHECK(h.run({"reflect", "--upstream", fake.url(), "--limit", "2"}).out == "reviewed=2 added=0 skipped=2 pruned=0\n");
  CHECK(h.review_marks() ==
        std::map<std::string, int>{{ReflectHome::id_for(1), 1}, {ReflectHome::id_for(2), 1}});
  CHECK(h.run({"reflect", "--upstream", fake.url(), "--limit", "2"}).out == "reviewed=2 added=0 skipped=2 pruned=0\n");
  CHECK(h.run({"reflect", "--upstream", fake.url(), "--limit", "2"}).out == "reviewed=1 added=0 skipped=1 pruned=0\n");
}

TEST_CASE("a front end's helper calls are never sent to the lesson call", "[reflect][cli]") {
  FakeUpstream fake;
  fake.set_script(Script().lesson(2, lesson_json(kLessonA)).prune(R"({"remove": []})").yaml());
  ReflectHome h;
  h.log(1, {.question = "### Task:\nGenerate a concise, 3-5 word title summarizing the chat history.",
            .reply = "{\"title\": \"Tar Permissions\"}", .kind = "helper"});
  h.log(2, {.question = "topic-2 how do I tar a directory?"});
  auto r = h.run({"reflect", "--upstream", fake.url()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reviewed=2 added=1 skipped=1 pruned=0\n");
  CHECK(calls_with(fake, kLessonSystem) == 1);  // only the person's chat
  CHECK_THAT(autoswarm::util::read_file(h.ledger_file()), Catch::Contains("a helper call"));
}

TEST_CASE("a second reflect while one runs says so and exits 0", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  h.log(1, {.question = "topic-1 q"});
  autoswarm::util::FileLock running(h.home() / "reflect.lock");
  auto r = h.run({"reflect", "--upstream", fake.url()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("another `autoswarm reflect` is running"));
  CHECK(fake.requests().empty());
  CHECK(h.review_marks().empty());
}

TEST_CASE("a malformed skills.yaml stops reflect, naming the file and line, and is left alone", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  const std::string bad = "version: 1\nskills:\n  - id: sk-1\n    txt: typo\n";
  autoswarm::util::write_file_atomic(h.skills_file(), bad);
  h.log(1, {.question = "topic-1 q"});
  auto r = h.run({"reflect", "--upstream", fake.url()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::StartsWith("error: " + h.skills_file().string() + ":3: skill is missing the field 'text'"));
  CHECK(r.out.empty());
  CHECK(autoswarm::util::read_file(h.skills_file()) == bad);
  CHECK(h.review_marks().empty());
  CHECK(fake.requests().empty());
}

TEST_CASE("the proxy keeps serving while reflect runs and injects what it learned", "[reflect][cli]") {
  autoswarm::testing::ProxyUnderTest proxy;
  proxy.fake.set_script(Script().lesson(1, lesson_json(kLessonA)).prune(R"({"remove": []})").yaml());
  auto chat = [&](const std::string& text) {
    json body = {{"model", "fake-model"}, {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
    auto res = proxy.client().Post("/v1/chat/completions", body.dump(), "application/json");
    return res ? res->status : -1;
  };
  REQUIRE(chat("topic-1 how do I tar a directory?") == 200);
  proxy.logs(1);

  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, served{0};
  std::thread traffic([&] {
    while (!done) {
      if (chat("unrelated traffic") != 200) ++bad;
      ++served;
    }
  });
  autoswarm::util::ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  auto r = autoswarm::util::run_process(
      {AUTOSWARM_BINARY, "--home", proxy.home.path().string(), "reflect", "--upstream", proxy.fake.url(), "--limit", "1"},
      options);
  done = true;
  traffic.join();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reviewed=1 added=1 skipped=0 pruned=0\n");
  CHECK(bad == 0);
  CHECK(served > 0);

  proxy.fake.clear_requests();
  REQUIRE(chat("topic-2 and a tar command that keeps permissions?") == 200);  // on the lesson's topic
  const std::string system = proxy.fake.requests().at(0)["body"]["messages"][0]["content"];
  CHECK_THAT(system, Catch::Contains("- " + kLessonA));
}

TEST_CASE("reflect reviews older versions' <id>.json files beside segment lines, each record once", "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  fake.set_script(Script().lesson(1, lesson_json(kLessonA)).lesson(2, lesson_json(kLessonB)).prune(R"({"remove": []})").yaml());
  h.log_legacy(1, {.question = "topic-1 from an older version"});
  h.log(2, {.question = "topic-2 from a segment"});
  // A migration interrupted before it removed the file: the same record in both places.
  h.log_legacy(3, {.question = "topic-3 in both"});
  h.log(3, {.question = "topic-3 in both"});

  auto r = h.run({"reflect", "--upstream", fake.url()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reviewed=3 added=2 skipped=1 pruned=0\n");
  CHECK(calls_with(fake, kLessonSystem) == 3);
  const auto marks = h.review_marks();
  CHECK(marks.size() == 3);
  for (const auto& [id, count] : marks) CHECK(count == 1);
  const SkillBook book = h.skills();
  REQUIRE(book.skills.size() == 2);
  CHECK(book.skills[0].sources == std::vector<std::string>{ReflectHome::id_for(1)});
  CHECK(book.skills[1].sources == std::vector<std::string>{ReflectHome::id_for(2)});
}

TEST_CASE("a record with a malformed message is skipped with a warning and later records are still learned from",
          "[reflect][cli]") {
  FakeUpstream fake;
  ReflectHome h;
  fake.set_script(Script().lesson(2, lesson_json(kLessonA)).prune(R"({"remove": []})").yaml());
  // What an older proxy logged for {"role": 5} in a non-final message.
  json record = ReflectHome::record(1, {.question = "topic-1 first"});
  record["messages"].insert(record["messages"].begin(), json{{"role", 5}, {"content", "x"}});
  h.append(record);
  h.log(2, {.question = "topic-2 second"});
  const std::string bad = h.segment().string() + ":1";

  auto r = h.run({"reflect", "--upstream", fake.url()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "reviewed=2 added=1 skipped=1 pruned=0\n");
  CHECK_THAT(r.err, Catch::Contains(bad + ": messages[0].role must be a string (got number) (skipped)"));
  REQUIRE(h.skills().skills.size() == 1);
  CHECK(h.skills().skills[0].text == kLessonA);
  // The next run does not stop at it either.
  auto again = h.run({"reflect", "--upstream", fake.url()});
  CHECK(again.exit_code == 0);
}
