// Where a spec came from, as a job records it: the file's hash and the git state around it
// (real `git` in a TempDir), and the record read back.
#include "autoswarm/bench/spec/spec_origin.h"

#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "autoswarm/util/sha256.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::bench::SpecOrigin;
using autoswarm::bench::spec_origin;
using autoswarm::testing::git;

TEST_CASE("a spec's origin: hash, commit, and uncommitted changes to it or to the tree", "[bench][spec]") {
  autoswarm::testing::TempDir tmp;
  const fs::path spec = tmp / "pipeline_spec.yaml";
  autoswarm::util::write_file_atomic(spec, "pipeline: {}\n");
  autoswarm::util::write_file_atomic(tmp / "notes.md", "tracked\n");

  SpecOrigin outside = spec_origin(spec);
  CHECK(outside.file == spec);
  CHECK(outside.sha256 == autoswarm::util::sha256_hex("pipeline: {}\n"));
  CHECK(outside.git_commit.empty());
  CHECK(outside.commit_column() == "-");

  autoswarm::testing::git_init(tmp.path());
  SpecOrigin untracked = spec_origin(spec);
  CHECK(untracked.git_commit.empty());  // no commit yet

  git(tmp.path(), {"add", "pipeline_spec.yaml", "notes.md"});
  git(tmp.path(), {"commit", "-q", "-m", "spec"});
  SpecOrigin clean = spec_origin(spec);
  CHECK(clean.git_commit.size() == 40);
  CHECK(clean.git_commit.starts_with(clean.git_short_commit));
  CHECK_FALSE(clean.spec_modified);
  CHECK_FALSE(clean.tree_dirty);
  CHECK(clean.commit_column() == clean.git_short_commit);

  autoswarm::util::write_file_atomic(tmp / "run.log", "untracked files do not count\n");
  CHECK(spec_origin(spec).commit_column() == clean.git_short_commit);
  autoswarm::util::write_file_atomic(tmp / "notes.md", "changed\n");
  SpecOrigin dirty = spec_origin(spec);
  CHECK(dirty.tree_dirty);
  CHECK_FALSE(dirty.spec_modified);
  CHECK(dirty.commit_column() == clean.git_short_commit + "+");
  autoswarm::util::write_file_atomic(spec, "pipeline: {model: x}\n");
  SpecOrigin edited = spec_origin(spec);
  CHECK(edited.spec_modified);
  CHECK(edited.sha256 == autoswarm::util::sha256_hex("pipeline: {model: x}\n"));

  std::optional<SpecOrigin> back = SpecOrigin::from_json(edited.to_json());
  REQUIRE(back);
  CHECK(back->to_json() == edited.to_json());
  CHECK(edited.to_json()["git_dirty"] == true);
  CHECK_FALSE(SpecOrigin::from_json(nullptr));
  CHECK(spec_origin(tmp / "missing.yaml").sha256.empty());
}
