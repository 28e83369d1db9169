// Files a user owns: atomic writes with the right mode, readable errors, private directories
// and a lock that really excludes another process.
#include "autoswarm/util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "autoswarm/util/error.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using autoswarm::FileError;
using autoswarm::testing::TempDir;
using autoswarm::util::ensure_directory;
using autoswarm::util::FileLock;
using autoswarm::util::read_file;
using autoswarm::util::write_file_atomic;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode) & 07777u;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Runs `child` in a forked process and returns its exit status (0..255), or -1 when it did not
// exit normally. The child never returns into Catch2.
template <typename F>
int run_in_child(F child) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(5);  // a child that hangs dies instead of hanging the suite
    int code = 99;
    try {
      code = child();
    } catch (...) {
      code = 98;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("write_file_atomic creates the file with mode 0600", "[files]") {
  TempDir tmp;
  const fs::path file = tmp / "config.toml";
  write_file_atomic(file, "api_key = \"sk-1\"\n");
  CHECK(read_file(file) == "api_key = \"sk-1\"\n");
  CHECK(mode_of(file) == 0600u);
  CHECK(entries(tmp.path()) == std::vector<std::string>{"config.toml"});
}

TEST_CASE("write_file_atomic applies the mode asked for, whatever the umask", "[files]") {
  TempDir tmp;
  mode_t old = ::umask(077);
  write_file_atomic(tmp / "public.json", "{}", 0644);
  ::umask(old);
  CHECK(mode_of(tmp / "public.json") == 0644u);
}

TEST_CASE("write_file_atomic replaces existing content completely", "[files]") {
  TempDir tmp;
  const fs::path file = tmp / "state.json";
  write_file_atomic(file, std::string(10000, 'x'));
  write_file_atomic(file, "short");
  CHECK(read_file(file) == "short");
  CHECK(fs::file_size(file) == 5);

  SECTION("an existing file's looser mode is replaced too") {
    ::chmod(file.c_str(), 0666);
    write_file_atomic(file, "again");
    CHECK(mode_of(file) == 0600u);
    CHECK(read_file(file) == "again");
  }
  SECTION("empty content and binary bytes are written as they are") {
    write_file_atomic(file, "");
    CHECK(read_file(file).empty());
    const std::string binary("a\0b\r\n\xFF", 6);
    write_file_atomic(file, binary);
    CHECK(read_file(file) == binary);
  }
}

TEST_CASE("write_file_atomic leaves no temp files behind", "[files]") {
  TempDir tmp;
  for (int i = 0; i < 5; ++i) write_file_atomic(tmp / "a.txt", std::to_string(i));
  write_file_atomic(tmp / "b.txt", "b");
  CHECK(entries(tmp.path()) == std::vector<std::string>{"a.txt", "b.txt"});
  CHECK(read_file(tmp / "a.txt") == "4");

  SECTION("not even when the final rename fails") {
    // The target is a non-empty directory: everything up to the rename succeeds, the rename
    // cannot.
    fs::create_directory(tmp / "taken");
    write_file_atomic(tmp / "taken" / "inner", "x");
    CHECK_THROWS_AS(write_file_atomic(tmp / "taken", "data"), FileError);
    CHECK(entries(tmp.path()) == std::vector<std::string>{"a.txt", "b.txt", "taken"});
    CHECK(entries(tmp / "taken") == std::vector<std::string>{"inner"});
  }
}

TEST_CASE("write_file_atomic names the path when the directory does not exist", "[files]") {
  TempDir tmp;
  const fs::path file = tmp / "missing" / "config.toml";
  CHECK_THROWS_AS(write_file_atomic(file, "x"), FileError);
  CHECK_THROWS_WITH(write_file_atomic(file, "x"), Catch::Contains(file.string()));
  CHECK_FALSE(fs::exists(tmp / "missing"));
}

TEST_CASE("write_all writes everything to a descriptor, and says when it cannot", "[files]") {
  TempDir tmp;
  const std::string big(1 << 20, 'x');
  int fd = ::open((tmp / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  CHECK(autoswarm::util::write_all(fd, big));
  ::close(fd);
  CHECK(read_file(tmp / "out") == big);
  fd = ::open((tmp / "out").c_str(), O_RDONLY | O_CLOEXEC);
  CHECK_FALSE(autoswarm::util::write_all(fd, "no"));
  CHECK(errno == EBADF);
  ::close(fd);
}

TEST_CASE("read_file names the path it cannot read", "[files]") {
  TempDir tmp;
  const fs::path file = tmp / "nope.json";
  CHECK_THROWS_AS(read_file(file), FileError);
  CHECK_THROWS_WITH(read_file(file), Catch::Contains(file.string()) && Catch::Contains("No such file"));

  SECTION("a directory is not a readable file") {
    CHECK_THROWS_WITH(read_file(tmp.path()), Catch::Contains(tmp.path().string()));
  }
}

TEST_CASE("ensure_directory creates nested directories, the last one private", "[files]") {
  TempDir tmp;
  const fs::path dir = tmp / "a" / "b" / "c";
  ensure_directory(dir);
  CHECK(fs::is_directory(dir));
  CHECK(mode_of(dir) == 0700u);
  CHECK(fs::is_directory(tmp / "a" / "b"));

  SECTION("an existing directory is left as it is") {
    ::chmod(dir.c_str(), 0755);
    ensure_directory(dir);
    CHECK(mode_of(dir) == 0755u);
  }
  SECTION("the mode asked for, despite the umask") {
    mode_t old = ::umask(077);
    ensure_directory(tmp / "shared", 0750);
    ::umask(old);
    CHECK(mode_of(tmp / "shared") == 0750u);
  }
  SECTION("a trailing slash is fine") {
    ensure_directory(tmp.path().string() + "/x/y/");
    CHECK(fs::is_directory(tmp / "x" / "y"));
    CHECK(mode_of(tmp / "x" / "y") == 0700u);
  }
}

TEST_CASE("ensure_directory refuses a path that is a regular file", "[files]") {
  TempDir tmp;
  const fs::path file = tmp / "data";
  write_file_atomic(file, "not a dir");
  CHECK_THROWS_AS(ensure_directory(file), FileError);
  CHECK_THROWS_WITH(ensure_directory(file),
                    Catch::Contains(file.string()) && Catch::Contains("not a directory"));
  CHECK(read_file(file) == "not a dir");

  SECTION("also when the file is one of the parents") {
    CHECK_THROWS_WITH(ensure_directory(file / "sub"), Catch::Contains(file.string()));
  }
}

TEST_CASE("FileLock excludes another process until it is released", "[files][lock]") {
  TempDir tmp;
  const fs::path lock_path = tmp / "state.lock";
  // The child opens its own descriptor (its own open file description), as another autoswarm
  // process would; the descriptor it inherits from the parent is not used.
  auto try_in_child = [&] {
    return run_in_child([&] { return FileLock(lock_path, FileLock::Wait::kTry).held() ? 1 : 0; });
  };
  {
    FileLock lock(lock_path);
    REQUIRE(lock.held());
    CHECK(fs::exists(lock_path));
    CHECK(try_in_child() == 0);
  }
  CHECK(try_in_child() == 1);

  SECTION("a blocking waiter gets the lock once the holder lets go") {
    // The child is forked before the parent locks: a child forked while the lock is held
    // would share the holder's open file description and keep the lock alive after the
    // parent's release.
    const fs::path marker = tmp / "child-locked";
    int go[2];
    REQUIRE(::pipe(go) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::alarm(5);  // never hang the suite: a child stuck in flock dies and the test fails
      ::close(go[1]);
      char byte = 0;
      int code = ::read(go[0], &byte, 1) == 1 ? 0 : 4;
      try {
        FileLock waiting(lock_path, FileLock::Wait::kBlock);
        write_file_atomic(marker, "locked");
        if (!waiting.held()) code = 2;
      } catch (...) {
        code = 3;
      }
      ::_exit(code);
    }
    ::close(go[0]);
    auto holder = std::make_unique<FileLock>(lock_path);
    REQUIRE(::write(go[1], "g", 1) == 1);
    ::close(go[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(fs::exists(marker));  // the child is still waiting
    holder.reset();
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(read_file(marker) == "locked");
  }
}

TEST_CASE("FileLock also excludes a second descriptor in the same process", "[files][lock]") {
  // flock locks belong to the open file description: two opens of one path conflict even in
  // one process, so two threads with their own FileLock serialise too.
  TempDir tmp;
  const fs::path lock_path = tmp / "x.lock";
  auto first = std::make_unique<FileLock>(lock_path, FileLock::Wait::kTry);
  REQUIRE(first->held());
  CHECK_FALSE(FileLock(lock_path, FileLock::Wait::kTry).held());
  first.reset();
  CHECK(FileLock(lock_path, FileLock::Wait::kTry).held());
}

TEST_CASE("FileLock names a lock file it cannot create", "[files][lock]") {
  TempDir tmp;
  const fs::path lock_path = tmp / "no-such-dir" / "a.lock";
  CHECK_THROWS_WITH(FileLock(lock_path), Catch::Contains(lock_path.string()));
}

TEST_CASE("keep_only_regular_files removes links and FIFOs and resets modes", "[files]") {
  TempDir tmp;
  const fs::path dir = tmp / "copied";
  autoswarm::util::ensure_directory(dir / "sub");
  autoswarm::util::write_file_atomic(dir / "notes.txt", "kept\n", 04755);
  autoswarm::util::write_file_atomic(dir / "sub" / "deep.txt", "kept too\n");
  fs::create_symlink("/etc/shadow", dir / "instruction.md");
  fs::create_directory_symlink("/etc", dir / "sub" / "etc");
  REQUIRE(::mkfifo((dir / "pipe").c_str(), 0644) == 0);

  std::vector<std::string> removed = autoswarm::util::keep_only_regular_files(dir);
  std::sort(removed.begin(), removed.end());
  CHECK(removed == std::vector<std::string>{"instruction.md (a symbolic link)", "pipe (a FIFO)",
                                            "sub/etc (a symbolic link)"});
  CHECK_FALSE(fs::exists(fs::symlink_status(dir / "instruction.md")));
  CHECK_FALSE(fs::exists(fs::symlink_status(dir / "sub" / "etc")));
  CHECK_FALSE(fs::exists(fs::symlink_status(dir / "pipe")));
  CHECK(fs::exists("/etc/passwd"));  // the link's target is untouched
  CHECK(autoswarm::util::read_file(dir / "notes.txt") == "kept\n");
  CHECK(autoswarm::util::read_file(dir / "sub" / "deep.txt") == "kept too\n");
  CHECK((fs::status(dir / "notes.txt").permissions() & fs::perms::mask) ==
        static_cast<fs::perms>(0644));
}

TEST_CASE("read_regular_file refuses a link and does not block on a FIFO", "[files]") {
  TempDir tmp;
  autoswarm::util::write_file_atomic(tmp / "secret", "host secret\n");
  fs::create_symlink(tmp / "secret", tmp / "link");
  REQUIRE(::mkfifo((tmp / "pipe").c_str(), 0644) == 0);

  CHECK(autoswarm::util::read_regular_file(tmp / "secret") == "host secret\n");
  CHECK_THROWS_WITH(autoswarm::util::read_regular_file(tmp / "link"),
                    Catch::Contains("link") && Catch::Contains("symbolic link"));
  CHECK_THROWS_WITH(autoswarm::util::read_regular_file(tmp / "pipe"),
                    Catch::Contains("it is a FIFO, not a regular file"));
  CHECK_THROWS_AS(autoswarm::util::read_regular_file(tmp / "missing"), autoswarm::FileError);
}
