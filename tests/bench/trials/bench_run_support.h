// What the `bench run` docker tests share: running the real binary, reading its summary line,
// writing small tasks, and finding a job's containers.
#pragma once

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "autoswarm/bench/trials/docker_cli.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"

namespace autoswarm::testing {

inline const std::filesystem::path kBenchmarkTasks =
    std::filesystem::path(AUTOSWARM_SOURCE_DIR) / "benchmark" / "tasks";

// `autoswarm bench run ARGS…` to its end (at most 240 s), without the user's home or key.
inline util::ProcessResult bench_run(std::vector<std::string> args) {
  using namespace std::chrono_literals;
  args.insert(args.begin(), {AUTOSWARM_BINARY, "bench", "run"});
  util::ProcessOptions options;
  options.timeout = 240s;
  options.unset_env = {"AUTOSWARM_HOME", "OPENAI_API_KEY"};
  return util::run_process(args, options);
}

// The one trial directory of the task whose directory is named `task` in `job`: Harbor's
// <task[:32]>__<7 characters>. Fails the test when there is not exactly one.
inline std::string trial_prefix(const std::string& task) {
  std::string base = task.substr(0, 32);
  while (!base.empty() && (base.back() == '-' || base.back() == '_')) base.pop_back();
  return base + "__";
}

inline std::filesystem::path trial_dir(const std::filesystem::path& job, const std::string& task) {
  std::vector<std::filesystem::path> found;
  const std::string prefix = trial_prefix(task);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(job, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && name.starts_with(prefix) && name.size() == prefix.size() + 7) {
      found.push_back(e.path());
    }
  }
  INFO("trials of " << task << " in " << job);
  REQUIRE(found.size() == 1);
  return found.front();
}

// How many trial directories of the task named `task` the job has.
inline size_t trial_count(const std::filesystem::path& job, const std::string& task) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(job, ec)) {
    n += e.is_directory() && e.path().filename().string().starts_with(trial_prefix(task));
  }
  return n;
}

// tests/harbor_schema/check_job.py on a job directory, with Debian's python3 and its
// python3-jsonschema: every file against the schemas of Harbor's models.
inline util::ProcessResult check_harbor_job(const std::filesystem::path& job,
                                            std::vector<std::string> extra = {}) {
  using namespace std::chrono_literals;
  std::vector<std::string> args = {
      "/usr/bin/python3",
      (std::filesystem::path(AUTOSWARM_SOURCE_DIR) / "tests" / "harbor_schema" / "check_job.py").string(),
      job.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  util::ProcessOptions options;
  options.timeout = 60s;
  return util::run_process(args, options);
}

inline std::string last_line(const std::string& out) {
  std::string trimmed = out.substr(0, out.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.find_last_of('\n') + 1);
}

// The job directory named by the summary line's job=…
inline std::filesystem::path job_dir_of(const std::string& out) {
  std::smatch m;
  std::string line = last_line(out);
  REQUIRE(std::regex_search(line, m, std::regex(" job=(.+)$")));
  return m[1].str();
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(util::read_file(path));
}

inline std::vector<std::string> containers_of_job(const std::string& job) {
  return bench::DockerCli().containers_with_label(std::string("autoswarm.job=") + job);
}

// Waits (at most 90 s) until the job has a container; false if it never gets one.
inline bool wait_for_container(const std::string& job) {
  using namespace std::chrono_literals;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (containers_of_job(job).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  return !containers_of_job(job).empty();
}

// A tests/test.sh that always passes.
inline const std::string kPassingTest = "echo 1 > /logs/verifier/reward.txt\n";

// A task FROM autoswarm-base with WORKDIR /app; no tests/test.sh when `test_sh` is empty.
inline void write_task(const std::filesystem::path& dir, const std::string& toml,
                       const std::string& test_sh, const std::string& solve_sh) {
  util::ensure_directory(dir / "environment");
  util::ensure_directory(dir / "tests");
  util::ensure_directory(dir / "solution");
  util::write_file_atomic(dir / "instruction.md", "Do the thing.\n");
  util::write_file_atomic(dir / "task.toml", toml);
  util::write_file_atomic(dir / "environment" / "Dockerfile",
                          "FROM autoswarm-base\nWORKDIR /app\n");
  if (!test_sh.empty()) util::write_file_atomic(dir / "tests" / "test.sh", test_sh, 0755);
  util::write_file_atomic(dir / "solution" / "solve.sh", solve_sh, 0755);
}

}  // namespace autoswarm::testing
