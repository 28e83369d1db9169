#include "autoswarm/util/subprocess.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "autoswarm/util/error.h"
#include "support/temp_dir.h"

using autoswarm::util::ProcessOptions;
using autoswarm::util::run_process;

TEST_CASE("run_process captures stdout, stderr and the exit code", "[subprocess]") {
  auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.timed_out);
}

TEST_CASE("run_process passes arguments without a shell", "[subprocess]") {
  // A shell would expand these; an argument vector must hand them over verbatim.
  auto r = run_process({"printf", "%s|%s", "$HOME; rm -rf /", "*"});
  CHECK(r.out == "$HOME; rm -rf /|*");
  CHECK(r.exit_code == 0);
}

TEST_CASE("run_process feeds stdin and sets the environment and directory", "[subprocess]") {
  autoswarm::testing::TempDir dir;
  ProcessOptions options;
  options.input = std::string(200000, 'x');  // larger than a pipe buffer
  options.env = {{"AUTOSWARM_TEST_VAR", "value"}};
  options.unset_env = {"HOME"};
  options.working_directory = dir.path();
  auto r = run_process({"sh", "-c", "wc -c; echo $AUTOSWARM_TEST_VAR; echo home=$HOME; pwd"}, options);
  CHECK(r.out == "200000\nvalue\nhome=\n" + dir.path().string() + "\n");
}

TEST_CASE("run_process kills the whole process group on timeout", "[subprocess]") {
  ProcessOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_process({"sh", "-c", "sleep 30 & sleep 30; echo never"}, options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + 9);
  CHECK(r.out.empty());
  CHECK(elapsed < std::chrono::seconds(10));
}

TEST_CASE("run_process names a program that cannot be started", "[subprocess]") {
  REQUIRE_THROWS_AS(run_process({"autoswarm-no-such-program"}), autoswarm::Error);
  REQUIRE_THROWS_WITH(run_process({"autoswarm-no-such-program"}),
                      Catch::Contains("autoswarm-no-such-program") &&
                          Catch::Contains("No such file"));
}

TEST_CASE("run_process kills the child when the cancel flag turns true", "[subprocess]") {
  std::atomic<bool> cancel{false};
  ProcessOptions options;
  options.cancel = &cancel;
  options.timeout = std::chrono::seconds(30);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto r = run_process({"sh", "-c", "sleep 20; echo finished"}, options);
  canceller.join();
  CHECK(r.cancelled);
  CHECK_FALSE(r.timed_out);
  CHECK(r.out.empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("run_process keeps the head and tail of a long output and counts all of it",
          "[subprocess]") {
  ProcessOptions options;
  options.max_output = 1000;
  auto r = run_process(
      {"sh", "-c", "printf START; head -c 50000000 /dev/zero | tr '\\000' x; printf END; echo e >&2"},
      options);
  CHECK(r.exit_code == 0);
  CHECK(r.out_bytes == 50000008);
  CHECK(r.out.size() < 1100);
  CHECK_THAT(r.out, Catch::StartsWith("STARTxxx") && Catch::EndsWith("xxxEND") &&
                        Catch::Contains("xxx\n[... 49999008 bytes omitted ...]\nxxx"));
  CHECK(r.err == "e\n");  // a short stream is kept whole
  CHECK(r.err_bytes == 2);
}

TEST_CASE("run_process marks the cut when the last read is the one that overflows the tail",
          "[subprocess]") {
  // 1600 bytes in one write under PIPE_BUF arrive in one read: 500 to the head, 1100 to the
  // tail, which is cut to its last 500 at once. The 600 bytes dropped must be marked.
  ProcessOptions options;
  options.max_output = 1000;
  auto r = run_process({"sh", "-c", "head -c 1600 /dev/zero | tr '\\000' x"}, options);
  CHECK(r.out_bytes == 1600);
  CHECK(r.out == std::string(500, 'x') + "\n[... 600 bytes omitted ...]\n" + std::string(500, 'x'));
}

TEST_CASE("run_process says when the arguments are over the kernel's limit", "[subprocess]") {
  try {
    run_process({"printf", "%s", std::string(200000, 'x')});
    FAIL("expected ProcessStartError");
  } catch (const autoswarm::util::ProcessStartError& e) {
    CHECK(e.error_number() == E2BIG);
    CHECK_THAT(e.what(), Catch::Contains("cannot run printf") && Catch::Contains("too long"));
  }
}
