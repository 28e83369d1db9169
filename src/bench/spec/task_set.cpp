// A directory of tasks filtered by globs, plus the small value conversions task.toml needs
// (size strings, ${VAR} references in env tables).
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "autoswarm/bench/spec/task.h"
#include "autoswarm/util/error.h"

namespace autoswarm::bench {
namespace fs = std::filesystem;

namespace {

bool matches_any(const std::vector<std::string>& globs, const std::string& name,
                 const std::string& dir_name) {
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
    return fnmatch(glob.c_str(), name.c_str(), 0) == 0 ||
           fnmatch(glob.c_str(), dir_name.c_str(), 0) == 0;
  });
}

bool passes(const TaskFilter& filter, const std::string& name, const std::string& dir_name) {
  if (!filter.include.empty() && !matches_any(filter.include, name, dir_name)) return false;
  return !matches_any(filter.exclude, name, dir_name);
}

// "task.toml:12: reason" → ("<dir>/task.toml", "line 12: reason"); "path: reason" otherwise.
TaskProblem problem_from(const std::string& message, const fs::path& dir) {
  size_t colon = message.find(": ");
  if (colon == std::string::npos) return {dir, message, dir};
  std::string file = message.substr(0, colon);
  std::string reason = message.substr(colon + 2);
  size_t line_colon = file.rfind(':');
  if (line_colon != std::string::npos &&
      std::all_of(file.begin() + static_cast<long>(line_colon) + 1, file.end(),
                  [](unsigned char c) { return std::isdigit(c); }) &&
      line_colon + 1 < file.size()) {
    reason = "line " + file.substr(line_colon + 1) + ": " + reason;
    file = file.substr(0, line_colon);
  }
  return {fs::path(file), reason, dir};
}

}  // namespace

TaskSet load_tasks(const fs::path& tasks_dir, const TaskFilter& filter) {
  if (!fs::is_directory(tasks_dir)) {
    throw FileError(tasks_dir.string() + ": no such tasks directory (use --tasks DIR)");
  }
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(tasks_dir)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.starts_with(".")) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());

  TaskSet set;
  for (const fs::path& dir : dirs) {
    const std::string dir_name = dir.filename().string();
    try {
      Task task = load_task(dir);
      if (!passes(filter, task.name, dir_name)) continue;
      if (filter.limit && set.tasks.size() >= *filter.limit) continue;
      set.tasks.push_back(std::move(task));
    } catch (const Error& e) {
      if (passes(filter, dir_name, dir_name)) set.problems.push_back(problem_from(e.what(), dir));
    }
  }
  return set;
}

EnvMap expand_env(const EnvMap& env, const EnvMap& lookup) {
  auto value_of = [&](const std::string& name) -> std::optional<std::string> {
    if (auto it = lookup.find(name); it != lookup.end()) return it->second;
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
  EnvMap out;
  for (const auto& [key, value] : env) {
    std::string result;
    size_t i = 0;
    while (i < value.size()) {
      size_t start = value.find("${", i);
      size_t end = start == std::string::npos ? std::string::npos : value.find('}', start);
      if (end == std::string::npos) {
        result += value.substr(i);
        break;
      }
      result += value.substr(i, start - i);
      std::string ref = value.substr(start + 2, end - start - 2);
      size_t dash = ref.find(":-");
      std::string name = dash == std::string::npos ? ref : ref.substr(0, dash);
      std::optional<std::string> v = value_of(name);
      if (v && !v->empty()) result += *v;
      else if (dash != std::string::npos) result += ref.substr(dash + 2);
      else if (v) result += *v;
      i = end + 1;
    }
    out[key] = result;
  }
  return out;
}

std::optional<int64_t> parse_size_mb(const std::string& size_in) {
  std::string size;
  for (char c : size_in) {
    if (!std::isspace(static_cast<unsigned char>(c))) size += c;
  }
  if (size.empty()) return std::nullopt;
  double number = 0;
  auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), number);
  if (ec != std::errc() || number < 0) return std::nullopt;
  std::string unit(ptr, static_cast<const char*>(size.data() + size.size()));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (unit.ends_with("IB")) unit = unit.substr(0, unit.size() - 2);
  else if (unit.size() == 2 && unit.back() == 'B') unit.pop_back();
  double mb;
  if (unit.empty() || unit == "M") mb = number;
  else if (unit == "G") mb = number * 1024;
  else if (unit == "T") mb = number * 1024 * 1024;
  else if (unit == "K") mb = number / 1024;
  else return std::nullopt;
  return static_cast<int64_t>(mb);
}

}  // namespace autoswarm::bench
