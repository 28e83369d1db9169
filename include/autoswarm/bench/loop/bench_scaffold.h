// `autoswarm bench init`: a new benchmark directory with the same files as the repository's
// benchmark/ (embedded at build time by cmake/embed_scaffold.cmake, one source of truth).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autoswarm::bench {

// One file of the scaffold, its path relative to the benchmark directory.
struct ScaffoldFile {
  std::string_view path;      // "pipeline_spec.yaml", "tasks/hello-world/tests/test.sh", ...
  std::string_view content;   // byte for byte the file in benchmark/
  bool executable = false;    // written with mode 0755 (the .sh scripts), else 0644
};

// Every file `bench init` writes, in a fixed order: pipeline_spec.yaml, program_pipeline.md,
// Dockerfile.base, .dockerignore, .gitignore, then tasks/hello-world/…  (generated source).
std::span<const ScaffoldFile> scaffold_files();

struct ScaffoldResult {
  std::vector<std::filesystem::path> written;      // relative paths, in scaffold order
  std::vector<std::filesystem::path> overwritten;  // the subset that existed (only with force)
};

// Writes the scaffold into `dir` (created if missing). Without `force`, any scaffold file that
// already exists stops it before anything is written: an Error naming every such file.
// Each file is written atomically. Throws FileError when a file cannot be written.
ScaffoldResult write_scaffold(const std::filesystem::path& dir, bool force);

}  // namespace autoswarm::bench
