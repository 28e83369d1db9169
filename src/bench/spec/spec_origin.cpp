// A spec file's hash and the git state around it, as a job records them.
#include "autoswarm/bench/spec/spec_origin.h"

#include <chrono>
#include <vector>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/sha256.h"
#include "autoswarm/util/subprocess.h"
#include "autoswarm/util/text.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What `git -C dir ARGS…` printed, without surrounding whitespace; nullopt when it failed or
// git is missing.
std::optional<std::string> git_output(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir.string()});
  util::ProcessOptions options;
  options.timeout = std::chrono::seconds(20);
  try {
    util::ProcessResult r = util::run_process(args, options);
    if (r.exit_code != 0) return std::nullopt;
    return std::string(util::trim(r.out));
  } catch (const Error&) {  // no git installed
    return std::nullopt;
  }
}

std::string text_field(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

bool bool_field(const json& j, const char* key) {
  return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

}  // namespace

std::string SpecOrigin::commit_column() const {
  if (git_short_commit.empty()) return "-";
  return git_short_commit + (spec_modified || tree_dirty ? "+" : "");
}

json SpecOrigin::to_json() const {
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return {{"file", file.string()},
          {"sha256", or_null(sha256)},
          {"git_commit", or_null(git_commit)},
          {"git_short_commit", or_null(git_short_commit)},
          {"spec_modified", spec_modified},
          {"git_dirty", tree_dirty}};
}

std::optional<SpecOrigin> SpecOrigin::from_json(const json& j) {
  if (!j.is_object() || !j.contains("file") || !j["file"].is_string()) return std::nullopt;
  SpecOrigin o;
  o.file = j["file"].get<std::string>();
  o.sha256 = text_field(j, "sha256");
  o.git_commit = text_field(j, "git_commit");
  o.git_short_commit = text_field(j, "git_short_commit");
  o.spec_modified = bool_field(j, "spec_modified");
  o.tree_dirty = bool_field(j, "git_dirty");
  return o;
}

SpecOrigin spec_origin(const fs::path& spec_file) {
  SpecOrigin o;
  o.file = fs::absolute(spec_file).lexically_normal();
  std::error_code ec;
  if (fs::is_regular_file(o.file, ec)) o.sha256 = util::sha256_hex(util::read_file(o.file));
  const fs::path dir = o.file.parent_path();
  if (!fs::is_directory(dir, ec)) return o;
  std::optional<std::string> head = git_output(dir, {"rev-parse", "HEAD"});
  std::optional<std::string> short_head = git_output(dir, {"rev-parse", "--short", "HEAD"});
  if (!head || head->empty() || !short_head || short_head->empty()) return o;
  o.git_commit = *head;
  o.git_short_commit = *short_head;
  std::optional<std::string> spec = git_output(dir, {"status", "--porcelain", "--", o.file.filename().string()});
  o.spec_modified = spec && !spec->empty();
  std::optional<std::string> tree = git_output(dir, {"status", "--porcelain", "--untracked-files=no"});
  o.tree_dirty = tree && !tree->empty();
  return o;
}

}  // namespace autoswarm::bench
