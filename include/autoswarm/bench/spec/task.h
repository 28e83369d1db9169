// A Harbor-format benchmark task (instruction.md, task.toml, environment/, tests/, solution/) and
// the loader that reads a directory of them, reporting unusable tasks instead of failing the run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoswarm::bench {

using EnvMap = std::map<std::string, std::string>;

// [agent]
struct AgentConfig {
  double timeout_sec = 600.0;
  std::string user;  // a name or a numeric uid ("0"); empty: the image's default user
};

// [verifier]. `env` values may hold ${VAR} / ${VAR:-default}: see expand_env().
struct VerifierConfig {
  double timeout_sec = 600.0;
  EnvMap env;
  std::string user;
};

// [environment]. Old spellings (memory = "4G", storage = "10G") are converted to MB on load.
struct EnvironmentConfig {
  double build_timeout_sec = 600.0;
  std::string docker_image;  // non-empty: a prebuilt image; environment/ is then not built
  double cpus = 1.0;
  int64_t memory_mb = 2048;
  int64_t storage_mb = 10240;
  int gpus = 0;
  bool allow_internet = true;        // Harbor's default; AutoSwarm's containers never have a network
  bool allow_internet_declared = false;  // task.toml says allow_internet = true itself (a warning)
  EnvMap env;
  std::string os = "linux";
};

// [solution]
struct SolutionConfig {
  EnvMap env;
};

struct Task {
  std::string name;               // [task].name when given, else the directory name
  std::filesystem::path dir;      // absolute
  std::string instruction;        // instruction.md, verbatim
  std::string schema_version;     // "1.0" (old `version`) … "1.4"; "" when task.toml has neither
  std::string description;        // [task].description
  nlohmann::json metadata = nlohmann::json::object();  // [metadata], free-form, as JSON

  AgentConfig agent;
  VerifierConfig verifier;
  EnvironmentConfig environment;
  SolutionConfig solution;
  // The task.toml fields AutoSwarm reads but does not act on ("[environment].healthcheck",
  // "[environment].mcp_servers", …), for the one warning a run prints about them.
  std::vector<std::string> ignored_fields;

  std::filesystem::path task_toml() const { return dir / "task.toml"; }
  std::filesystem::path environment_dir() const { return dir / "environment"; }
  std::filesystem::path tests_dir() const { return dir / "tests"; }       // hidden from the agent
  std::filesystem::path solution_dir() const { return dir / "solution"; }
  bool has_solution() const;  // solution/solve.sh exists
};

// Why a task directory cannot be used: the file at fault and the reason.
struct TaskProblem {
  std::filesystem::path file;
  std::string reason;
  std::filesystem::path task_dir;  // the task's directory

  std::string message() const;  // "<file>: <reason>"
};

// Reads one task directory. Throws FileError naming the file when instruction.md or
// tests/test.sh is missing (for a multi-step task, [[steps]] in task.toml, that it is one), task.toml does not parse (with its line) or a field has the wrong type.
// A missing task.toml means all defaults.
Task load_task(const std::filesystem::path& dir);

// The fields of a task.toml from its text, over the defaults; `file` names it in errors. The
// fields that come from the directory (dir, instruction, name unless [task].name) stay empty.
// Throws FileError naming `file` when the text is not UTF-8 (with the byte offset) or not TOML
// (with its line), or a field has the wrong type.
Task parse_task_toml(std::string_view toml_text, const std::filesystem::path& file);

// Which tasks of a directory to use. Globs (fnmatch) match the task name or its directory name;
// a task is used when it matches any include (or there are none) and no exclude.
struct TaskFilter {
  std::vector<std::string> include{};
  std::vector<std::string> exclude{};
  std::optional<size_t> limit{};  // at most this many, after filtering, in name order
};

struct TaskSet {
  std::vector<Task> tasks;             // usable tasks, sorted by directory name
  std::vector<TaskProblem> problems;   // unusable ones that passed the filter
};

// Loads every subdirectory of `tasks_dir` that passes `filter`. Throws FileError only when
// `tasks_dir` itself is missing or not a directory.
TaskSet load_tasks(const std::filesystem::path& tasks_dir, const TaskFilter& filter = {});

// Resolves ${VAR} and ${VAR:-default} in every value of `env`: `lookup` first (e.g. an
// --env-file), then the process environment; an unset variable without a default becomes "".
EnvMap expand_env(const EnvMap& env, const EnvMap& lookup = {});

// Converts Harbor's size strings ("4G", "512M", "2048K", "1.5G"; a bare number is MB) to MB.
// Returns nullopt when `size` is not one.
std::optional<int64_t> parse_size_mb(const std::string& size);

}  // namespace autoswarm::bench
