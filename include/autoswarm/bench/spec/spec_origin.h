// Where a pipeline spec came from when a job ran it: the file's SHA-256 and the state of the git
// repository holding it. `bench run` records it in the job (autoswarm_config.json's "spec", see
// job_dir.h), so that `bench record` names the commit that ran rather than HEAD at record time
// (wrong after a `git reset`), and `bench resume` can tell that the spec changed since.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace autoswarm::bench {

struct SpecOrigin {
  std::filesystem::path file;    // absolute
  std::string sha256;            // of the file's bytes; "" when it does not exist
  std::string git_commit;        // HEAD of the repository holding the file; "" outside git
  std::string git_short_commit;  // `git rev-parse --short HEAD`; "" outside git
  bool spec_modified = false;    // the file differs from HEAD, or is not tracked
  bool tree_dirty = false;       // some tracked file of the repository has uncommitted changes

  // results.tsv's commit column: the short commit, "+" appended when the spec or the tree had
  // uncommitted changes (the commit alone does not reproduce the run); "-" outside git.
  std::string commit_column() const;

  // {"file", "sha256", "git_commit", "git_short_commit", "spec_modified", "git_dirty"}; "" and
  // null for what is unknown.
  nlohmann::json to_json() const;
  // Back from to_json(); nullopt when `j` is not an object with a "file" string.
  static std::optional<SpecOrigin> from_json(const nlohmann::json& j);
};

// The origin of `spec_file` now: its hash (when it exists) and `git -C <its directory>` rev-parse
// and status (20 s each at most). Outside a repository, or without git, the git fields stay
// empty. Never throws for git; throws FileError when the file exists but cannot be read.
SpecOrigin spec_origin(const std::filesystem::path& spec_file);

}  // namespace autoswarm::bench
