// `bench init`: the scaffold is benchmark/'s own files, written without clobbering anything.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "autoswarm/bench/loop/bench_scaffold.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using autoswarm::bench::scaffold_files;
using autoswarm::bench::write_scaffold;
using autoswarm::testing::TempDir;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("the embedded scaffold is byte for byte the repository's benchmark/", "[bench][init]") {
  const fs::path benchmark = fs::path(AUTOSWARM_SOURCE_DIR) / "benchmark";
  std::vector<std::string> names;
  for (const auto& file : scaffold_files()) {
    names.emplace_back(file.path);
    CHECK(autoswarm::util::read_file(benchmark / fs::path(file.path)) == std::string(file.content));
    CHECK(file.executable == std::string(file.path).ends_with(".sh"));
  }
  CHECK(names == std::vector<std::string>{
                     "pipeline_spec.yaml", "program_pipeline.md", "Dockerfile.base", ".dockerignore",
                     ".gitignore",
                     "tasks/hello-world/instruction.md", "tasks/hello-world/task.toml",
                     "tasks/hello-world/environment/Dockerfile", "tasks/hello-world/tests/test.sh",
                     "tasks/hello-world/solution/solve.sh", "examples/linear.yaml",
                     "examples/verify_retry.yaml", "examples/parallel_synthesis.yaml",
                     "examples/stage_as_tool.yaml", "examples/custom_tool.yaml"});
}

TEST_CASE("init writes every file into a new directory, scripts executable", "[bench][init]") {
  TempDir tmp;
  auto result = write_scaffold(tmp / "new" / "bench", false);
  CHECK(result.written.size() == scaffold_files().size());
  CHECK(result.overwritten.empty());
  for (const auto& file : scaffold_files()) {
    fs::path p = tmp / "new" / "bench" / fs::path(file.path);
    CHECK(autoswarm::util::read_file(p) == std::string(file.content));
    CHECK(mode_of(p) == (file.executable ? 0755u : 0644u));
  }
  CHECK(autoswarm::util::read_file(tmp / "new" / "bench" / ".gitignore") ==
        "jobs/\nresults.tsv\nrun.log\n");
}

TEST_CASE("init refuses to overwrite, naming the files, unless forced", "[bench][init]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "pipeline_spec.yaml", "mine\n");
  autoswarm::util::ensure_directory(tmp / "tasks" / "hello-world");
  autoswarm::util::write_file_atomic(tmp / "tasks" / "hello-world" / "task.toml", "mine\n");
  autoswarm::util::write_file_atomic(tmp / "notes.txt", "untouched\n");
  CHECK_THROWS_WITH(write_scaffold(tmp.path(), false),
                    Catch::Contains("not overwriting existing files in") &&
                        Catch::Contains("pipeline_spec.yaml, tasks/hello-world/task.toml") &&
                        Catch::Contains("--force"));
  // Nothing was written.
  CHECK(autoswarm::util::read_file(tmp / "pipeline_spec.yaml") == "mine\n");
  CHECK_FALSE(fs::exists(tmp / "program_pipeline.md"));

  auto result = write_scaffold(tmp.path(), true);
  CHECK(result.overwritten == std::vector<fs::path>{"pipeline_spec.yaml", "tasks/hello-world/task.toml"});
  CHECK(autoswarm::util::read_file(tmp / "pipeline_spec.yaml") ==
        std::string(scaffold_files()[0].content));
  CHECK(autoswarm::util::read_file(tmp / "notes.txt") == "untouched\n");
}

TEST_CASE("init into a path that is a file is an error", "[bench][init]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "file", "x");
  CHECK_THROWS_AS(write_scaffold(tmp / "file", false), autoswarm::FileError);
}
