// `autoswarm skills` as a user runs it: the real binary on a temp data directory.
#include <catch2/catch.hpp>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "autoswarm/skills/removed_skills.h"
#include "autoswarm/util/files.h"
#include "reflect/reflect_test_support.h"

using autoswarm::skills::RemovedSkills;
using autoswarm::testing::ReflectHome;
using nlohmann::json;

namespace {

std::string trim_newline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Runs the binary on a pseudo-terminal (stdin and stdout a TTY), typing `typed`; returns the
// exit code and everything it printed.
std::pair<int, std::string> run_on_tty(const std::vector<std::string>& args, const std::string& typed) {
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::unsetenv("AUTOSWARM_HOME");
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::string out;
  char buf[4096];
  bool sent = false;
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    out.append(buf, static_cast<size_t>(n));
    if (!sent && out.find("[y/N]") != std::string::npos) {
      (void)!::write(master, typed.data(), typed.size());
      sent = true;
    }
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("skills list on an empty skillbook says how skills arrive", "[skills][cli]") {
  ReflectHome h;
  auto r = h.run({"skills", "list"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("no skills yet in " + h.skills_file().string()));
  auto j = h.run({"skills", "list", "--json"});
  CHECK(j.out == "[]\n");
}

TEST_CASE("skills add prints the new id, and list shows a table and JSON", "[skills][cli]") {
  ReflectHome h;
  auto add = h.run({"skills", "add", "Give the shell command first, then explain it."});
  CHECK(add.exit_code == 0);
  const std::string id = trim_newline(add.out);
  CHECK(std::regex_match(id, std::regex("sk-[0-9a-f]{6}")));
  auto add2 = h.run({"skills", "add", "Use tabs in Makefile recipes."});
  const std::string id2 = trim_newline(add2.out);

  auto list = h.run({"skills", "list"});
  CHECK(list.exit_code == 0);
  CHECK(list.out == "ID          AGE  INJECTED  TEXT\n" + id + "   now         0  Give the shell command first, then explain it.\n" +
                        id2 + "   now         0  Use tabs in Makefile recipes.\n");
  CHECK(list.out.find('\033') == std::string::npos);

  auto j = json::parse(h.run({"skills", "list", "--json"}).out);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["id"] == id);
  CHECK(j[0]["text"] == "Give the shell command first, then explain it.");
  CHECK(j[0]["injected"] == 0);
  CHECK(j[0]["sources"] == json::array());
  CHECK(j[0]["created"].get<std::string>().size() == 20);

  auto dup = h.run({"skills", "add", "give the shell command first -- then explain it"});
  CHECK(dup.exit_code == 1);
  CHECK(dup.err == "error: the skillbook already has this skill as " + id + "\n");
  auto empty = h.run({"skills", "add", "   "});
  CHECK(empty.exit_code == 1);
  CHECK(empty.err == "error: a skill needs some text\n");
  CHECK(h.skills().skills.size() == 2);
}

TEST_CASE("skills remove moves to the audit file and restore brings it back", "[skills][cli]") {
  ReflectHome h;
  const std::string id = trim_newline(h.run({"skills", "add", "Use tabs in Makefile recipes."}).out);

  auto unknown = h.run({"skills", "remove", "sk-nope00"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::StartsWith("error: no skill 'sk-nope00' in " + h.skills_file().string()));

  auto rm = h.run({"skills", "remove", id, "--reason", "wrong for GNU make 4.4"});
  CHECK(rm.exit_code == 0);
  CHECK(rm.out == "removed " + id + ": Use tabs in Makefile recipes.\n");
  CHECK(h.skills().skills.empty());
  auto audit = RemovedSkills::load(h.removed_file());
  REQUIRE(audit.removed.size() == 1);
  CHECK(audit.removed[0].removed_by == "skills remove");
  CHECK(audit.removed[0].reason == "wrong for GNU make 4.4");

  auto removed = h.run({"skills", "list", "--removed"});
  CHECK_THAT(removed.out, Catch::Contains(id) && Catch::Contains("skills remove") &&
                              Catch::Contains("wrong for GNU make 4.4") && Catch::Contains("Use tabs in Makefile recipes."));
  auto removed_json = json::parse(h.run({"skills", "list", "--removed", "--json"}).out);
  CHECK(removed_json[0]["removed_by"] == "skills remove");

  auto restore = h.run({"skills", "restore", id});
  CHECK(restore.exit_code == 0);
  CHECK(restore.out == "restored " + id + ": Use tabs in Makefile recipes.\n");
  CHECK(h.skills().skills.size() == 1);
  auto again = h.run({"skills", "restore", id});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::StartsWith("error: no removed skill '" + id + "' in " + h.removed_file().string()));
}

TEST_CASE("skills clear needs --yes off a terminal and keeps the skills in the audit file", "[skills][cli]") {
  ReflectHome h;
  h.run({"skills", "add", "Use tabs in Makefile recipes."});
  h.run({"skills", "add", "Answer in French when asked in French."});
  auto refused = h.run({"skills", "clear"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("pass --yes"));
  CHECK(h.skills().skills.size() == 2);

  auto cleared = h.run({"skills", "clear", "--yes"});
  CHECK(cleared.exit_code == 0);
  CHECK(cleared.out == "cleared 2 skills (kept in " + h.removed_file().string() + ")\n");
  CHECK(h.skills().skills.empty());
  auto audit = RemovedSkills::load(h.removed_file());
  REQUIRE(audit.removed.size() == 2);
  CHECK(audit.removed[0].removed_by == "skills clear");
  CHECK(h.run({"skills", "clear", "--yes"}).out == "the skillbook is already empty\n");
}

TEST_CASE("skills clear on a terminal asks first", "[skills][cli]") {
  ReflectHome h;
  h.run({"skills", "add", "Use tabs in Makefile recipes."});
  const std::vector<std::string> cmd = {AUTOSWARM_BINARY, "--home", h.home().string(), "skills", "clear"};
  auto [no_code, no_out] = run_on_tty(cmd, "n\n");
  CHECK(no_code == 1);
  CHECK_THAT(no_out, Catch::Contains("Remove all 1 skills from " + h.skills_file().string()));
  CHECK_THAT(no_out, Catch::Contains("nothing removed"));
  CHECK(h.skills().skills.size() == 1);
  auto [yes_code, yes_out] = run_on_tty(cmd, "y\n");
  CHECK(yes_code == 0);
  CHECK_THAT(yes_out, Catch::Contains("cleared 1 skill "));
  CHECK(h.skills().skills.empty());
}

TEST_CASE("skills commands report a malformed skillbook by file and line", "[skills][cli]") {
  ReflectHome h;
  autoswarm::util::write_file_atomic(h.skills_file(), "version: 1\nskills:\n  - id: sk-1\n    text: [not, a, string]\n");
  for (auto args : std::vector<std::vector<std::string>>{{"skills", "list"}, {"skills", "add", "Something specific."},
                                                         {"skills", "clear", "--yes"}}) {
    auto r = h.run(args);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::StartsWith("error: " + h.skills_file().string() + ":4: field 'text' must be a single value"));
  }
}

TEST_CASE("skills without a subcommand or its argument is a usage error", "[skills][cli]") {
  ReflectHome h;
  auto r = h.run({"skills"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("`autoswarm skills` needs one of: list, add, remove, restore, clear"));
  auto no_id = h.run({"skills", "remove"});
  CHECK(no_id.exit_code == 2);
  CHECK_THAT(no_id.err, Catch::StartsWith("error: `skills remove` needs at least one skill id"));
  auto no_text = h.run({"skills", "add"});
  CHECK(no_text.exit_code == 2);
  CHECK_THAT(no_text.err, Catch::StartsWith("error: `skills add` needs the text of the skill"));
  CHECK(h.run({"skills", "restore"}).exit_code == 2);
}
