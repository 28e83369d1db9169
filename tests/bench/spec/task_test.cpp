// The Harbor task loader: old and new task.toml spellings, Harbor's defaults, filters, and every
// way a task directory can be unusable.
#include "autoswarm/bench/spec/task.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <cstdlib>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using namespace autoswarm;
using namespace autoswarm::bench;
using autoswarm::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A complete task directory; `toml` is written as task.toml unless nullptr.
fs::path make_task(const fs::path& root, const std::string& name, const char* toml = "",
                   bool with_dockerfile = true) {
  fs::path dir = root / name;
  fs::create_directories(dir / "tests");
  fs::create_directories(dir / "environment");
  util::write_file_atomic(dir / "instruction.md", "Do the thing in " + name + ".\n");
  util::write_file_atomic(dir / "tests" / "test.sh", "#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n");
  if (with_dockerfile) util::write_file_atomic(dir / "environment" / "Dockerfile", "FROM autoswarm-base\n");
  if (toml) util::write_file_atomic(dir / "task.toml", toml);
  return dir;
}

std::string load_error(const fs::path& dir) {
  try {
    load_task(dir);
  } catch (const FileError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a task without task.toml gets Harbor's defaults", "[bench][task]") {
  TempDir tmp;
  Task t = load_task(make_task(tmp.path(), "hello", nullptr));
  CHECK(t.name == "hello");
  CHECK(t.instruction == "Do the thing in hello.\n");
  CHECK(t.dir.is_absolute());
  CHECK(t.agent.timeout_sec == 600.0);
  CHECK(t.verifier.timeout_sec == 600.0);
  CHECK(t.environment.build_timeout_sec == 600.0);
  CHECK(t.environment.cpus == 1.0);
  CHECK(t.environment.memory_mb == 2048);
  CHECK(t.environment.storage_mb == 10240);
  CHECK(t.environment.gpus == 0);
  CHECK(t.environment.allow_internet);
  CHECK(t.environment.os == "linux");
  CHECK(t.environment.docker_image.empty());
  CHECK_FALSE(t.has_solution());
  CHECK(t.tests_dir() == t.dir / "tests");
}

TEST_CASE("the new task.toml spelling is read field by field", "[bench][task]") {
  TempDir tmp;
  fs::path dir = make_task(tmp.path(), "regex-log", R"(
schema_version = "1.1"

[task]
name = "terminal-bench/regex-log"
description = "Write a regex"
keywords = ["regex"]

[metadata]
difficulty = "medium"
expert_time_estimate_min = 15

[verifier]
timeout_sec = 900.0
env = { API_URL = "${API_URL:-http://localhost}", RETRIES = 3 }
user = "tester"

[agent]
timeout_sec = 900

[environment]
docker_image = "alexgshaw/regex-log:20251031"
cpus = 2
memory_mb = 4096
storage_mb = 20480
allow_internet = false
env = { LANG = "C.UTF-8" }

[solution]
env = { SECRET = "s" }
)", false);
  fs::create_directories(dir / "solution");
  util::write_file_atomic(dir / "solution" / "solve.sh", "echo hi\n");
  Task t = load_task(dir);
  CHECK(t.schema_version == "1.1");
  CHECK(t.name == "terminal-bench/regex-log");
  CHECK(t.description == "Write a regex");
  CHECK(t.metadata["difficulty"] == "medium");
  CHECK(t.metadata["expert_time_estimate_min"] == 15);
  CHECK(t.verifier.timeout_sec == 900.0);
  CHECK(t.verifier.env.at("API_URL") == "${API_URL:-http://localhost}");
  CHECK(t.verifier.env.at("RETRIES") == "3");
  CHECK(t.verifier.user == "tester");
  CHECK(t.agent.timeout_sec == 900.0);
  CHECK(t.environment.docker_image == "alexgshaw/regex-log:20251031");  // no Dockerfile needed
  CHECK(t.environment.cpus == 2.0);
  CHECK(t.environment.memory_mb == 4096);
  CHECK(t.environment.storage_mb == 20480);
  CHECK_FALSE(t.environment.allow_internet);
  CHECK(t.environment.env.at("LANG") == "C.UTF-8");
  CHECK(t.solution.env.at("SECRET") == "s");
  CHECK(t.has_solution());
}

TEST_CASE("the old task.toml spelling converts sizes to MB", "[bench][task]") {
  TempDir tmp;
  Task t = load_task(make_task(tmp.path(), "old", R"(
version = "1.0"
[environment]
memory = "4G"
storage = "512M"
)"));
  CHECK(t.schema_version == "1.0");
  CHECK(t.environment.memory_mb == 4096);
  CHECK(t.environment.storage_mb == 512);
}

TEST_CASE("size strings", "[bench][task]") {
  CHECK(parse_size_mb("4G") == 4096);
  CHECK(parse_size_mb("1.5G") == 1536);
  CHECK(parse_size_mb("512M") == 512);
  CHECK(parse_size_mb("2048K") == 2);
  CHECK(parse_size_mb("10GB") == 10240);
  CHECK(parse_size_mb("2Gi") == std::nullopt);
  CHECK(parse_size_mb("2GiB") == 2048);
  CHECK(parse_size_mb("300") == 300);
  CHECK(parse_size_mb("lots") == std::nullopt);
  CHECK(parse_size_mb("") == std::nullopt);
  CHECK(parse_size_mb("4X") == std::nullopt);
}

TEST_CASE("every unusable task names its file and reason", "[bench][task]") {
  TempDir tmp;
  SECTION("no instruction.md") {
    fs::path dir = make_task(tmp.path(), "t");
    fs::remove(dir / "instruction.md");
    CHECK_THAT(load_error(dir), Catch::Contains("instruction.md: missing"));
  }
  SECTION("no tests/test.sh") {
    fs::path dir = make_task(tmp.path(), "t");
    fs::remove(dir / "tests" / "test.sh");
    CHECK_THAT(load_error(dir), Catch::Contains("tests/test.sh: missing"));
  }
  SECTION("no Dockerfile and no docker_image") {
    fs::path dir = make_task(tmp.path(), "t", "", false);
    CHECK_THAT(load_error(dir), Catch::Contains("environment/Dockerfile: missing"));
  }
  SECTION("TOML that does not parse, with its line") {
    fs::path dir = make_task(tmp.path(), "t", "[agent]\ntimeout_sec = = 3\n");
    std::string e = load_error(dir);
    CHECK_THAT(e, Catch::Contains("task.toml:2: not valid TOML"));
  }
  SECTION("a table header that does not start with a key") {
    // toml++ 3.3 asserted here (and aborted) before it reported the error.
    fs::path dir = make_task(tmp.path(), "t", "[task]\nname = \"x\"\n\n[/task\"\n");
    CHECK_THAT(load_error(dir), Catch::Contains("task.toml:4: not valid TOML: Error while parsing key: expected bare key starting character"));
  }
  SECTION("a field of the wrong type") {
    fs::path dir = make_task(tmp.path(), "t", "[agent]\n\ntimeout_sec = \"long\"\n");
    CHECK_THAT(load_error(dir), Catch::Contains("task.toml:3: [agent].timeout_sec must be a number"));
  }
  SECTION("a negative timeout") {
    fs::path dir = make_task(tmp.path(), "t", "[verifier]\ntimeout_sec = -1\n");
    CHECK_THAT(load_error(dir), Catch::Contains("[verifier].timeout_sec must be greater than 0"));
  }
  SECTION("a bad size string") {
    fs::path dir = make_task(tmp.path(), "t", "[environment]\nmemory = \"much\"\n");
    CHECK_THAT(load_error(dir), Catch::Contains("[environment].memory must be a size"));
  }
  SECTION("a table that is not a table") {
    fs::path dir = make_task(tmp.path(), "t", "agent = 3\n");
    CHECK_THAT(load_error(dir), Catch::Contains("[agent] must be a table"));
  }
  SECTION("env that is not a table of strings") {
    fs::path dir = make_task(tmp.path(), "t", "[verifier]\nenv = { A = [1] }\n");
    CHECK_THAT(load_error(dir), Catch::Contains("[verifier].env.A must be a string"));
  }
  SECTION("allow_internet that is not a boolean") {
    fs::path dir = make_task(tmp.path(), "t", "[environment]\nallow_internet = \"yes\"\n");
    CHECK_THAT(load_error(dir), Catch::Contains("allow_internet must be true or false"));
  }
}

TEST_CASE("a numeric user is a uid, as Harbor allows", "[bench][task]") {
  Task t = parse_task_toml("[agent]\nuser = 0\n[verifier]\nuser = \"tester\"\n", "task.toml");
  CHECK(t.agent.user == "0");
  CHECK(t.verifier.user == "tester");
  CHECK_THROWS_WITH(parse_task_toml("[agent]\nuser = -1\n", "task.toml"),
                    "task.toml:2: [agent].user must be a user name or a numeric uid");
}

TEST_CASE("fields the loader does not act on are named, and a declared allow_internet noted", "[bench][task]") {
  Task t = parse_task_toml(
      "version = \"1.0\"\n[metadata]\nanything = 1\n[agent]\ntimeout_sec = 5\nmcp_servers = []\n"
      "[environment]\nallow_internet = true\nhealthcheck = { command = \"true\" }\ngpu_types = [\"a100\"]\n"
      "[[steps]]\nname = \"one\"\n[artifacts]\npaths = [\"/out\"]\n",
      "task.toml");
  // In the order of the tables' names, as toml++ keeps them.
  CHECK(t.ignored_fields == std::vector<std::string>{"[agent].mcp_servers", "[artifacts]", "[environment].gpu_types",
                                                    "[environment].healthcheck", "[[steps]]"});
  CHECK(t.environment.allow_internet_declared);
  CHECK_FALSE(parse_task_toml("", "task.toml").environment.allow_internet_declared);
  CHECK(parse_task_toml("[environment]\nallow_internet = false\n", "task.toml").ignored_fields.empty());
}

TEST_CASE("a multi-step task says so instead of 'instruction.md missing'", "[bench][task]") {
  TempDir tmp;
  fs::path dir = make_task(tmp.path(), "t", "[[steps]]\nname = \"one\"\n[[steps]]\nname = \"two\"\n");
  fs::remove(dir / "instruction.md");
  CHECK_THAT(load_error(dir), Catch::Contains("task.toml: a multi-step task ([[steps]]), which autoswarm bench "
                                              "does not run yet"));
}

TEST_CASE("a task.toml that is not UTF-8 is refused with the byte offset, before toml++ reads it", "[bench][task]") {
  TempDir tmp;
  // A Latin-1 "é" in a string, then a lone continuation byte in a comment: toml++ used to abort.
  fs::path dir = make_task(tmp.path(), "t", "[task]\ndescription = \"caf\xe9\"\n# \x80\n");
  CHECK_THAT(load_error(dir), Catch::Contains("task.toml: not UTF-8 at byte 25 (save it as UTF-8)"));
  CHECK_THROWS_WITH(parse_task_toml("a = \"\xed\xa0\x80\"\n", "x/task.toml"),
                    "x/task.toml: not UTF-8 at byte 5 (save it as UTF-8)");
}

TEST_CASE("parse_task_toml reads the fields from text, leaving the directory's to load_task", "[bench][task]") {
  Task t = parse_task_toml("[task]\nname = \"org/x\"\n[agent]\ntimeout_sec = 30\n", "task.toml");
  CHECK(t.name == "org/x");
  CHECK(t.agent.timeout_sec == 30.0);
  CHECK(t.instruction.empty());
}

TEST_CASE("load_tasks keeps the usable tasks and reports the others", "[bench][task]") {
  TempDir tmp;
  make_task(tmp.path(), "alpha");
  make_task(tmp.path(), "beta", "[task]\nname = \"org/beta\"\n");
  make_task(tmp.path(), "gamma");
  fs::path broken = make_task(tmp.path(), "broken", "[agent\n");
  fs::path no_tests = make_task(tmp.path(), "no-tests");
  fs::remove(no_tests / "tests" / "test.sh");
  fs::create_directories(tmp.path() / ".hidden");

  SECTION("everything") {
    TaskSet set = load_tasks(tmp.path());
    REQUIRE(set.tasks.size() == 3);
    CHECK(set.tasks[0].name == "alpha");
    CHECK(set.tasks[1].name == "org/beta");
    CHECK(set.tasks[2].name == "gamma");
    REQUIRE(set.problems.size() == 2);
    CHECK(set.problems[0].file == broken / "task.toml");
    CHECK_THAT(set.problems[0].reason, Catch::StartsWith("line 1: not valid TOML"));
    CHECK(set.problems[1].file == no_tests / "tests" / "test.sh");
    CHECK_THAT(set.problems[1].message(), Catch::Contains("test.sh: missing"));
  }
  SECTION("include globs match the name or the directory") {
    TaskSet set = load_tasks(tmp.path(), {.include = {"org/*", "gam*"}});
    REQUIRE(set.tasks.size() == 2);
    CHECK(set.tasks[0].name == "org/beta");
    CHECK(set.tasks[1].name == "gamma");
    CHECK(set.problems.empty());  // broken tasks outside the filter are not reported
  }
  SECTION("exclude globs and the limit") {
    TaskSet set = load_tasks(tmp.path(), {.exclude = {"beta", "broken"}, .limit = 1});
    REQUIRE(set.tasks.size() == 1);
    CHECK(set.tasks[0].name == "alpha");
    REQUIRE(set.problems.size() == 1);
    CHECK(set.problems[0].file == no_tests / "tests" / "test.sh");
  }
  SECTION("a missing tasks directory is an error") {
    CHECK_THROWS_AS(load_tasks(tmp.path() / "nope"), FileError);
  }
}

TEST_CASE("env values expand ${VAR} and ${VAR:-default}", "[bench][task]") {
  ::setenv("AUTOSWARM_TEST_SET", "from-env", 1);
  ::unsetenv("AUTOSWARM_TEST_UNSET");
  EnvMap env = {{"A", "${AUTOSWARM_TEST_SET}"},
                {"B", "x-${AUTOSWARM_TEST_UNSET:-fallback}-y"},
                {"C", "${AUTOSWARM_TEST_UNSET}"},
                {"D", "${FROM_FILE}/${AUTOSWARM_TEST_SET:-no}"},
                {"E", "plain $HOME ${unterminated"}};
  EnvMap out = expand_env(env, {{"FROM_FILE", "file"}});
  CHECK(out["A"] == "from-env");
  CHECK(out["B"] == "x-fallback-y");
  CHECK(out["C"].empty());
  CHECK(out["D"] == "file/from-env");
  CHECK(out["E"] == "plain $HOME ${unterminated");
}

TEST_CASE("a task.toml that is a FIFO makes the task unusable instead of hanging", "[bench][task]") {
  TempDir tmp;
  fs::path dir = make_task(tmp.path(), "fifo-toml", nullptr);
  REQUIRE(::mkfifo((dir / "task.toml").c_str(), 0644) == 0);
  CHECK_THAT(load_error(dir), Catch::Contains("task.toml: it is a FIFO, not a regular file"));
}
