// Reads one Harbor task directory: instruction.md, task.toml (old and new spellings, Harbor's
// defaults) and the presence of tests/test.sh and the environment.
#include "autoswarm/bench/spec/task.h"

// toml++ 3.3 asserts "a key starts here" in parse_key() before it checks, and the check right
// after the assertion reports the error ("expected bare key starting character…"): `[/task]` in
// a task.toml aborted every build without NDEBUG (debug, fuzz). With its assertions off, every
// build reports the error, as release builds with gcc already did.
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/text.h"

namespace autoswarm::bench {
namespace fs = std::filesystem;

namespace {

// Reads the typed fields of task.toml, naming "task.toml:LINE: [table].key" on a wrong type.
class TomlReader {
 public:
  TomlReader(const toml::table& root, fs::path file) : root_(root), file_(std::move(file)) {}

  const toml::table* table(const char* name) const {
    const toml::node* node = root_.get(name);
    if (!node) return nullptr;
    if (!node->is_table()) fail(*node, std::string("[") + name + "] must be a table");
    return node->as_table();
  }

  void number(const toml::table* t, const char* table, const char* key, double& out,
              bool positive = true) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (!node) return;
    if (auto v = node->value<double>()) {
      if (positive && !(*v > 0)) fail(*node, where(table, key) + " must be greater than 0");
      out = *v;
      return;
    }
    fail(*node, where(table, key) + " must be a number");
  }

  template <typename Int>
  void integer(const toml::table* t, const char* table, const char* key, Int& out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (!node) return;
    std::optional<double> v = node->value<double>();
    if (!v || std::floor(*v) != *v || *v < 0) {
      fail(*node, where(table, key) + " must be a whole number, 0 or more");
    }
    out = static_cast<Int>(*v);
  }

  void string(const toml::table* t, const char* table, const char* key, std::string& out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (!node) return;
    if (!node->is_string()) fail(*node, where(table, key) + " must be a string");
    out = *node->value<std::string>();
  }

  // A user: a name, or a numeric uid as Harbor allows (`user = 0`).
  void user(const toml::table* t, const char* table, std::string& out) const {
    const toml::node* node = t ? t->get("user") : nullptr;
    if (!node) return;
    if (auto uid = node->value_exact<int64_t>(); uid && *uid >= 0) {
      out = std::to_string(*uid);
      return;
    }
    if (!node->is_string()) fail(*node, where(table, "user") + " must be a user name or a numeric uid");
    out = *node->value<std::string>();
  }

  void boolean(const toml::table* t, const char* table, const char* key, bool& out) const {
    const toml::node* node = t ? t->get(key) : nullptr;
    if (!node) return;
    if (!node->is_boolean()) fail(*node, where(table, key) + " must be true or false");
    out = *node->value<bool>();
  }

  // A size in MB from `key_mb` (a number) or the old `key` ("4G").
  void size_mb(const toml::table* t, const char* key_mb, const char* key, int64_t& out) const {
    integer(t, "environment", key_mb, out);
    const toml::node* node = t ? t->get(key) : nullptr;
    if (!node || (t && t->get(key_mb))) return;
    std::optional<int64_t> mb;
    if (auto s = node->value<std::string>()) mb = parse_size_mb(*s);
    else if (auto n = node->value<int64_t>()) mb = *n;
    if (!mb) fail(*node, where("environment", key) + " must be a size like \"4G\" or \"512M\"");
    out = *mb;
  }

  void env(const toml::table* t, const char* table, EnvMap& out) const {
    const toml::node* node = t ? t->get("env") : nullptr;
    if (!node) return;
    if (!node->is_table()) fail(*node, where(table, "env") + " must be a table of strings");
    for (const auto& [k, v] : *node->as_table()) {
      const std::string name(k.str());
      if (auto s = v.value_exact<std::string>()) out[name] = *s;
      else if (auto i = v.value_exact<int64_t>()) out[name] = std::to_string(*i);
      else if (auto b = v.value_exact<bool>()) out[name] = *b ? "true" : "false";
      else if (auto d = v.value_exact<double>()) {
        std::ostringstream text;
        text << *d;
        out[name] = text.str();
      } else {
        fail(v, where(table, "env") + "." + std::string(k.str()) + " must be a string");
      }
    }
  }

  [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
    throw FileError(file_.string() + ":" + std::to_string(node.source().begin.line) + ": " + what);
  }

 private:
  static std::string where(const char* table, const char* key) {
    return std::string("[") + table + "]." + key;
  }

  const toml::table& root_;
  fs::path file_;
};

std::vector<std::string> ignored_fields(const toml::table& root);

// The fields task.toml sets, over the defaults already in `task`.
void read_task_toml(Task& task, std::string_view toml_text, const fs::path& file) {
  // toml++ assumes UTF-8 and may abort inside its decoder on other bytes.
  if (const size_t valid = util::utf8_valid_prefix(toml_text); valid < toml_text.size()) {
    throw FileError(file.string() + ": not UTF-8 at byte " + std::to_string(valid) +
                    " (save it as UTF-8)");
  }
  toml::table root;
  try {
    root = toml::parse(toml_text, file.string());
  } catch (const toml::parse_error& e) {
    throw FileError(file.string() + ":" + std::to_string(e.source().begin.line) +
                    ": not valid TOML: " + std::string(e.description()));
  }
  TomlReader r(root, file);

  for (const char* key : {"schema_version", "version"}) {
    const toml::node* node = root.get(key);
    if (!node || !task.schema_version.empty()) continue;
    if (auto s = node->value<std::string>()) task.schema_version = *s;
    else if (auto d = node->value<double>()) {
      std::ostringstream text;
      text << *d;
      task.schema_version = text.str();
    } else {
      r.fail(*node, std::string(key) + " must be a string like \"1.1\"");
    }
  }

  const toml::table* t = r.table("task");
  r.string(t, "task", "name", task.name);
  r.string(t, "task", "description", task.description);

  if (const toml::table* meta = r.table("metadata")) {
    std::ostringstream text;
    text << toml::json_formatter{*meta};
    task.metadata = util::try_parse_json(text.str());
    if (task.metadata.is_discarded()) task.metadata = nlohmann::json::object();
  }

  const toml::table* agent = r.table("agent");
  r.number(agent, "agent", "timeout_sec", task.agent.timeout_sec);
  r.user(agent, "agent", task.agent.user);

  const toml::table* verifier = r.table("verifier");
  r.number(verifier, "verifier", "timeout_sec", task.verifier.timeout_sec);
  r.user(verifier, "verifier", task.verifier.user);
  r.env(verifier, "verifier", task.verifier.env);

  const toml::table* e = r.table("environment");
  EnvironmentConfig& env = task.environment;
  r.number(e, "environment", "build_timeout_sec", env.build_timeout_sec);
  r.string(e, "environment", "docker_image", env.docker_image);
  r.number(e, "environment", "cpus", env.cpus);
  r.size_mb(e, "memory_mb", "memory", env.memory_mb);
  r.size_mb(e, "storage_mb", "storage", env.storage_mb);
  r.integer(e, "environment", "gpus", env.gpus);
  r.boolean(e, "environment", "allow_internet", env.allow_internet);
  env.allow_internet_declared = e && e->get("allow_internet") && env.allow_internet;
  r.env(e, "environment", env.env);
  r.string(e, "environment", "os", env.os);

  r.env(r.table("solution"), "solution", task.solution.env);
  task.ignored_fields = ignored_fields(root);
}

// The fields of task.toml that this reader acts on, by table ("" for the top level); every
// other key is named in Task::ignored_fields. [metadata] is free-form: none of it is ignored.
std::vector<std::string> ignored_fields(const toml::table& root) {
  static const std::map<std::string, std::set<std::string>> kRead = {
      {"", {"schema_version", "version", "task", "metadata", "agent", "verifier", "environment", "solution"}},
      {"task", {"name", "description"}},
      {"agent", {"timeout_sec", "user"}},
      {"verifier", {"timeout_sec", "user", "env"}},
      {"environment", {"build_timeout_sec", "docker_image", "cpus", "memory_mb", "memory", "storage_mb",
                       "storage", "gpus", "allow_internet", "env", "os"}},
      {"solution", {"env"}},
  };
  std::vector<std::string> ignored;
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    if (!kRead.at("").count(name)) {
      ignored.push_back(node.is_array_of_tables() ? "[[" + name + "]]" : node.is_table() ? "[" + name + "]" : name);
      continue;
    }
    auto known = kRead.find(name);
    if (known == kRead.end() || !node.is_table()) continue;
    for (const auto& [field, value] : *node.as_table()) {
      if (!known->second.count(std::string(field.str()))) ignored.push_back("[" + name + "]." + std::string(field.str()));
    }
  }
  return ignored;
}

}  // namespace

Task parse_task_toml(std::string_view toml_text, const fs::path& file) {
  Task task;
  read_task_toml(task, toml_text, file);
  return task;
}

bool Task::has_solution() const { return fs::is_regular_file(solution_dir() / "solve.sh"); }

std::string TaskProblem::message() const { return file.string() + ": " + reason; }

Task load_task(const fs::path& dir_in) {
  Task task;
  std::error_code ec;
  task.dir = fs::absolute(dir_in, ec).lexically_normal();
  if (!task.dir.has_filename()) task.dir = task.dir.parent_path();  // "dir/" → "dir"
  task.name = task.dir.filename().string();

  if (fs::exists(task.task_toml())) {
    // toml++ would wait forever on a FIFO named task.toml.
    if (!fs::is_regular_file(task.task_toml())) {
      throw FileError(task.task_toml().string() + ": it is " +
                      util::describe_file_type(task.task_toml()) + ", not a regular file");
    }
    read_task_toml(task, util::read_file(task.task_toml()), task.task_toml());
  }
  const fs::path instruction = task.dir / "instruction.md";
  if (!fs::is_regular_file(instruction)) {
    const auto& ignored = task.ignored_fields;
    if (std::find(ignored.begin(), ignored.end(), "[[steps]]") != ignored.end()) {
      throw FileError(task.task_toml().string() + ": a multi-step task ([[steps]]), which autoswarm bench "
                      "does not run yet (it runs tasks with one instruction.md)");
    }
    throw FileError(instruction.string() + ": missing (every task needs instruction.md)");
  }
  task.instruction = util::read_file(instruction);
  if (task.name.empty()) task.name = task.dir.filename().string();

  const fs::path test_sh = task.tests_dir() / "test.sh";
  if (!fs::is_regular_file(test_sh)) {
    throw FileError(test_sh.string() + ": missing (the verifier runs tests/test.sh)");
  }
  if (task.environment.docker_image.empty() &&
      !fs::is_regular_file(task.environment_dir() / "Dockerfile") &&
      !fs::is_regular_file(task.environment_dir() / "docker-compose.yaml")) {
    throw FileError((task.environment_dir() / "Dockerfile").string() +
                    ": missing, and task.toml names no [environment].docker_image");
  }
  return task;
}

}  // namespace autoswarm::bench
