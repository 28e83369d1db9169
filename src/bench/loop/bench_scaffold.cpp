// Writes the embedded benchmark/ files into a new benchmark directory (`bench init`).
#include "autoswarm/bench/loop/bench_scaffold.h"

#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::bench {

namespace fs = std::filesystem;

ScaffoldResult write_scaffold(const fs::path& dir, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw FileError(dir.string() + " exists and is not a directory; choose another DIR for `bench init`");
  }
  ScaffoldResult result;
  for (const ScaffoldFile& file : scaffold_files()) {
    fs::path target = dir / fs::path(file.path);
    if (fs::exists(fs::symlink_status(target, ec))) result.overwritten.emplace_back(file.path);
  }
  if (!result.overwritten.empty() && !force) {
    std::string names;
    for (const fs::path& p : result.overwritten) names += (names.empty() ? "" : ", ") + p.string();
    throw Error("not overwriting existing files in " + dir.string() + ": " + names +
                     " (use --force to replace them)");
  }
  for (const ScaffoldFile& file : scaffold_files()) {
    fs::path target = dir / fs::path(file.path);
    util::ensure_directory(target.parent_path(), 0755);
    util::write_file_atomic(target, file.content, file.executable ? 0755 : 0644);
    result.written.emplace_back(file.path);
  }
  return result;
}

}  // namespace autoswarm::bench
