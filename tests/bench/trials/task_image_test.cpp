// Image tags derived from a task environment's content: equal trees give equal hashes, any
// change (content, name, executable bit) gives a new one, and tags are valid docker references.
#include "autoswarm/bench/trials/task_image.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <regex>

#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::bench::directory_content_hash;
using autoswarm::bench::task_image_tag;
using autoswarm::testing::TempDir;

namespace {

void make_tree(const fs::path& root) {
  autoswarm::util::ensure_directory(root / "data");
  autoswarm::util::write_file_atomic(root / "Dockerfile",
                                     "FROM autoswarm-base\nCOPY data/ /app/\n");
  autoswarm::util::write_file_atomic(root / "data" / "x.csv", "a,b\n1,2\n");
}

}  // namespace

TEST_CASE("equal environment trees hash equally wherever they are", "[task_image]") {
  TempDir a, b;
  make_tree(a.path());
  make_tree(b.path());
  std::string hash = directory_content_hash(a.path());
  CHECK(hash.size() == 64);
  CHECK(hash == directory_content_hash(b.path()));
}

TEST_CASE("any change to the environment changes its hash", "[task_image]") {
  TempDir a;
  make_tree(a.path());
  std::string before = directory_content_hash(a.path());

  SECTION("content") { autoswarm::util::write_file_atomic(a / "data" / "x.csv", "a,b\n1,3\n"); }
  SECTION("a new empty file") { autoswarm::util::write_file_atomic(a / "data" / "y.csv", ""); }
  SECTION("a rename") { fs::rename(a / "data" / "x.csv", a / "data" / "z.csv"); }
  SECTION("the executable bit") {
    fs::permissions(a / "data" / "x.csv", fs::perms::owner_exec, fs::perm_options::add);
  }
  CHECK(directory_content_hash(a.path()) != before);
}

TEST_CASE("image tags are valid docker references named after the task directory", "[task_image]") {
  autoswarm::bench::Task task;
  task.name = "Org/My Task";
  task.dir = "/tasks/My Task_v2!";
  std::string tag = task_image_tag(task, std::string(64, 'a'));
  CHECK(tag == "autoswarm-task-my-task_v2:aaaaaaaaaaaaaaaa");
  const std::regex reference("^[a-z0-9]+([._-][a-z0-9]+|[._-]+[a-z0-9]+)*:[0-9a-f]{16}$");
  CHECK(std::regex_match(tag, reference));

  task.dir = "/tasks/--";
  CHECK(task_image_tag(task, std::string(64, 'b')) == "autoswarm-task-task:bbbbbbbbbbbbbbbb");
}

TEST_CASE("a FIFO in the environment is hashed by its name and never opened", "[task_image]") {
  TempDir a, b;
  make_tree(a.path());
  make_tree(b.path());
  REQUIRE(::mkfifo((a / "data" / "pipe").c_str(), 0644) == 0);
  // Opening the FIFO would block this test forever: it returns, and the FIFO counts.
  CHECK(directory_content_hash(a.path()) != directory_content_hash(b.path()));
  REQUIRE(::mkfifo((b / "data" / "pipe").c_str(), 0600) == 0);
  CHECK(directory_content_hash(a.path()) == directory_content_hash(b.path()));
}
