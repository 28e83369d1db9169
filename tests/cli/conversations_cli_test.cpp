// `autoswarm conversations list|show|migrate`: the real binary over a data directory holding
// segment lines and older versions' <id>.json files. Asserts stdout, stderr and exit codes.
#include <catch2/catch.hpp>

#include <fstream>

#include "autoswarm/conversations/conversation_files.h"
#include "reflect/reflect_test_support.h"

using autoswarm::testing::LoggedChat;
using autoswarm::testing::ReflectHome;
using nlohmann::json;

TEST_CASE("conversations migrate folds older versions' files into segments and says how many, once",
          "[cli][conversations]") {
  ReflectHome h;
  h.log(1, {.question = "already in a segment"});
  h.log_legacy(2, {.question = "from an older version"});
  h.log_legacy(3, {.question = "also older", .injected = {"sk-1"}});

  auto r = h.run({"conversations", "migrate"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "migrated=2\n");
  CHECK(autoswarm::conversations::list_legacy_record_ids(h.conversations()).empty());
  std::vector<std::string> ids;
  autoswarm::conversations::for_each_record(h.conversations(), [&](auto& rec) { ids.push_back(rec.id); });
  CHECK(ids == std::vector<std::string>{ReflectHome::id_for(1), ReflectHome::id_for(2), ReflectHome::id_for(3)});

  auto again = h.run({"conversations", "migrate"});
  CHECK(again.exit_code == 0);
  CHECK(again.out == "migrated=0\n");
}

TEST_CASE("conversations migrate leaves a file it cannot read, names it, and exits 1", "[cli][conversations]") {
  ReflectHome h;
  h.log_legacy(1, {.question = "fine"});
  const auto broken = h.conversations() / "broken.json";
  std::ofstream(broken) << "{\"id\": ";
  auto r = h.run({"conversations", "migrate"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "migrated=1 left=1\n");
  CHECK_THAT(r.err, Catch::Contains(broken.string() + ": not a conversation record (not valid JSON") &&
                        Catch::Contains("error: 1 file was left where it is (see the warnings above); fix or remove it, "
                                        "then run migrate again"));
  CHECK(std::filesystem::exists(broken));
}

TEST_CASE("conversations list shows every record oldest first, --since filters and --json is for scripts",
          "[cli][conversations]") {
  ReflectHome h;
  h.log_legacy(1, {.question = "older", .status = 502, .error = "upstream down"});
  json later = ReflectHome::record(2, {.question = "newer", .injected = {"sk-1", "sk-2"}});
  later["started_at"] = "2026-01-02T08:30:00.000Z";
  h.append(later);

  auto r = h.run({"conversations", "list"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "ID                           STARTED              MODEL                     STATUS  SKILLS\n"
        "20260101T000001.000Z-c00001  2026-01-01 00:00:00  fake-model                   502  -\n"
        "20260101T000002.000Z-c00002  2026-01-02 08:30:00  fake-model                   200  sk-1,sk-2\n");

  auto since = h.run({"conversations", "list", "--since", "2026-01-02", "--json"});
  CHECK(since.exit_code == 0);
  const json list = json::parse(since.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0] == json{{"id", ReflectHome::id_for(2)}, {"started_at", "2026-01-02T08:30:00.000Z"}, {"model", "fake-model"},
                        {"status", 200}, {"error", ""}, {"skills", {"sk-1", "sk-2"}}});
  CHECK(json::parse(h.run({"conversations", "list", "--since", "2026-01-03", "--json"}).out) == json::array());

  auto bad = h.run({"conversations", "list", "--since", "yesterday"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--since: expected a day (2026-11-29) or a UTC time"));
}

TEST_CASE("conversations show prints one conversation as the client saw it", "[cli][conversations]") {
  ReflectHome h;
  h.log(1, {.question = "how do I list files by date?", .reply = "ls -lt", .injected = {"sk-1"}});
  auto r = h.run({"conversations", "show", ReflectHome::id_for(1)});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "id       " + ReflectHome::id_for(1) +
                     "\n"
                     "started  2026-01-01T00:00:00.000Z\n"
                     "model    fake-model\n"
                     "status   200\n"
                     "skills   sk-1\n"
                     "\n"
                     "[user]\nhow do I list files by date?\n\n[assistant]\nls -lt\n");

  auto missing = h.run({"conversations", "show", "20990101T000000.000Z-000000"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("error: no conversation 20990101T000000.000Z-000000 in "));
  CHECK(h.run({"conversations", "show"}).exit_code == 2);
}
