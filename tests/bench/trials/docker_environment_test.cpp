// DockerEnvironment against a real engine: argv without a shell, stdin and env, timeouts that
// kill inside the container, hostile paths, copies both ways, limits, labels, removal, and a
// container that vanishes. Also building task images by content hash.
#include "autoswarm/bench/trials/docker_environment.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/bench/trials/task_image.h"
#include "autoswarm/util/files.h"
#include "bench/trials/docker_test_support.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using autoswarm::bench::ContainerOptions;
using autoswarm::bench::DockerCli;
using autoswarm::bench::DockerEnvironment;
using autoswarm::testing::TempDir;

namespace {

// Each test process labels its containers with its own pid, so that tests running in parallel
// (ctest -j) never see each other's containers.
const std::string kLabelValue = "docker_environment_test-" + std::to_string(::getpid());
const std::string kLabel = "autoswarm.test=" + kLabelValue;

ContainerOptions options() {
  return ContainerOptions{.image = "autoswarm-base",
                          .cpus = 0.5,
                          .memory_mb = 256,
                          .labels = {{"autoswarm.test", kLabelValue}},
                          .env = {{"FROM_RUN", "yes"}},
                          .name_hint = "env-test"};
}

std::string inspect(const std::string& id, const std::string& format) {
  return DockerCli().check({"container", "inspect", "--format", format, id}, 30s, "inspect");
}

}  // namespace

TEST_CASE("exec passes argv verbatim, with stdin, env and the image's workdir", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerEnvironment env(DockerCli(), options());
  auto r = env.exec({"printf", "%s|%s", "$HOME; rm -rf /", "*"}, 30s);
  CHECK(r.out == "$HOME; rm -rf /|*");
  CHECK(r.exit_code == 0);

  r = env.exec({"wc", "-c"}, 30s, std::string(300000, 'x'));
  CHECK(r.out == "300000\n");

  r = env.exec({"sh", "-c", "echo $FOO $FROM_RUN; pwd; echo err >&2; exit 3"}, 30s, "",
               {{"FOO", "a b"}});
  CHECK(r.out == "a b yes\n/app\n");
  CHECK(r.err == "err\n");
  CHECK(r.exit_code == 3);
  CHECK(env.working_directory() == "/app");
}

TEST_CASE("a timed-out exec is killed inside the container, children included", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerEnvironment env(DockerCli(), options());
  auto start = std::chrono::steady_clock::now();
  auto r = env.exec({"sh", "-c", "sleep 31 & sleep 32; echo never"}, 700ms);
  CHECK(std::chrono::steady_clock::now() - start < 20s);
  CHECK(r.timed_out);
  CHECK(r.exit_code == 137);
  CHECK(r.out.empty());
  auto ps = env.exec({"ps", "-eo", "args"}, 30s);
  CHECK_THAT(ps.out, !Catch::Contains("sleep 31") && !Catch::Contains("sleep 32"));
}

TEST_CASE("write_file and read_file take any path and content, nothing spliced", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerEnvironment env(DockerCli(), options());
  std::string path = "/tmp/a dir/$(touch /tmp/pwned)/it's \"quoted\";.txt";
  std::string content("bin\0ary\n$(rm -rf /)\n", 20);
  env.write_file(path, content);
  CHECK(env.read_file(path) == content);
  CHECK(env.read_file(path, 3) == "bin");
  CHECK(env.exec({"test", "-e", "/tmp/pwned"}, 30s).exit_code == 1);

  CHECK_THROWS_WITH(env.read_file("/no/such/file"), Catch::Contains("/no/such/file"));
}

TEST_CASE("copy_in copies a directory's contents or a file, copy_out brings files back",
          "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  autoswarm::util::ensure_directory(dir / "tests" / "sub");
  autoswarm::util::write_file_atomic(dir / "tests" / "test.sh", "echo hi\n", 0755);
  autoswarm::util::write_file_atomic(dir / "tests" / "sub" / "data.txt", "42\n");
  DockerEnvironment env(DockerCli(), options());
  env.copy_in(dir / "tests", "/deep/tests");
  env.copy_in(dir / "tests" / "sub" / "data.txt", "/elsewhere/one.txt");
  CHECK(env.read_file("/deep/tests/sub/data.txt") == "42\n");
  CHECK(env.read_file("/elsewhere/one.txt") == "42\n");
  CHECK(env.exec({"test", "-x", "/deep/tests/test.sh"}, 30s).exit_code == 0);
  CHECK_THROWS_AS(env.copy_in(dir / "missing", "/x"), autoswarm::FileError);

  env.exec({"sh", "-c", "mkdir -p /out/logs && echo done > /out/logs/agent.txt"}, 30s);
  autoswarm::util::ensure_directory(dir / "back");
  env.copy_out("/out/logs/.", dir / "back");
  CHECK(autoswarm::util::read_file(dir / "back" / "agent.txt") == "done\n");
}

TEST_CASE("containers get the limits, labels and no network", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerEnvironment env(DockerCli(), options());
  CHECK(inspect(env.container_id(), "{{.HostConfig.NanoCpus}}") == "500000000\n");
  CHECK(inspect(env.container_id(), "{{.HostConfig.Memory}}") == std::to_string(256 << 20) + "\n");
  CHECK(inspect(env.container_id(), "{{.HostConfig.NetworkMode}}") == "none\n");
  CHECK(inspect(env.container_id(), "{{index .Config.Labels \"autoswarm.test\"}}") ==
        kLabelValue + "\n");
  CHECK(env.exec({"ls", "/sys/class/net"}, 30s).out == "lo\n");
}

TEST_CASE("remove() removes the container for good, and the destructor does too", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerCli docker;
  std::string id;
  {
    DockerEnvironment env(docker, options());
    id = env.container_id();
    env.remove();
    env.remove();  // idempotent
    CHECK_THROWS_AS(env.exec({"true"}, 30s), autoswarm::Error);
    CHECK(docker.run({"container", "inspect", id}, 30s).exit_code != 0);
  }
  {
    DockerEnvironment env(docker, options());
    id = env.container_id();
  }
  CHECK(docker.run({"container", "inspect", id}, 30s).exit_code != 0);
  CHECK(docker.containers_with_label(kLabel).empty());
}

TEST_CASE("a container removed behind our back is reported gone", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerCli docker;
  DockerEnvironment env(docker, options());
  docker.remove_containers({env.container_id()});
  CHECK_THROWS_WITH(env.exec({"true"}, 30s), Catch::Contains("is gone"));
  CHECK_THROWS_AS(env.write_file("/x", "y"), autoswarm::Error);
}

TEST_CASE("a running exec is stopped at once when the cancel flag turns true", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  std::atomic<bool> cancel{false};
  ContainerOptions o = options();
  o.cancel = &cancel;
  DockerEnvironment env(DockerCli(), o);
  std::thread canceller([&] {
    std::this_thread::sleep_for(500ms);
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(env.exec({"sleep", "60"}, 120s), Catch::Contains("interrupted"));
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - start < 20s);
}

TEST_CASE("a bad image is a clear error and leaves no container", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  ContainerOptions o = options();
  o.image = "autoswarm-no-such-image:never";
  CHECK_THROWS_WITH(
      DockerEnvironment(DockerCli(), o),
      Catch::Contains("cannot start a container") && Catch::Contains("autoswarm-no-such-image"));
  CHECK(DockerCli().containers_with_label(kLabel).empty());
}

TEST_CASE("task images are built once per environment content, and rebuilt when it changes",
          "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  TempDir dir;
  autoswarm::bench::Task task;
  task.name = "image-test";
  task.dir = dir / "autoswarm-image-test";
  autoswarm::util::ensure_directory(task.environment_dir());
  autoswarm::util::write_file_atomic(task.environment_dir() / "Dockerfile",
                                     "FROM autoswarm-base\nCOPY greeting.txt /app/\n");
  autoswarm::util::write_file_atomic(task.environment_dir() / "greeting.txt", "hi\n");
  DockerCli docker;
  autoswarm::bench::ImageOptions image_options{.network = docker.has_bridge_network()};

  std::string tag = autoswarm::bench::ensure_task_image(docker, task, image_options);
  CHECK(tag.starts_with("autoswarm-task-autoswarm-image-test:"));
  std::string id = docker.check({"image", "inspect", "--format", "{{.Id}}", tag}, 30s, "inspect");
  CHECK(autoswarm::bench::ensure_task_image(docker, task, image_options) == tag);
  CHECK(docker.check({"image", "inspect", "--format", "{{.Id}}", tag}, 30s, "inspect") == id);

  autoswarm::util::write_file_atomic(task.environment_dir() / "greeting.txt", "hello\n");
  std::string changed = autoswarm::bench::ensure_task_image(docker, task, image_options);
  CHECK(changed != tag);
  {
    DockerEnvironment env(docker, ContainerOptions{.image = changed});
    CHECK(env.read_file("/app/greeting.txt") == "hello\n");
  }

  autoswarm::util::write_file_atomic(task.environment_dir() / "Dockerfile",
                                     "FROM autoswarm-base\nRUN echo the-step-output && exit 7\n");
  CHECK_THROWS_WITH(autoswarm::bench::ensure_task_image(docker, task, image_options),
                    Catch::Contains("image-test") && Catch::Contains("Dockerfile") &&
                        Catch::Contains("the-step-output"));
  fs::remove(task.environment_dir() / "Dockerfile");
  CHECK_THROWS_WITH(autoswarm::bench::ensure_task_image(docker, task, image_options),
                    Catch::Contains("docker_image"));
  docker.run({"rmi", "-f", tag, changed}, 60s);
}

TEST_CASE("fork starts a sibling from a snapshot and each side keeps its own changes", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerCli docker;
  DockerEnvironment env(docker, options());
  env.write_file("/app/state.txt", "before\n");
  std::string snapshot;
  {
    std::unique_ptr<DockerEnvironment> branch = env.fork("branch-a");
    CHECK(branch->container_id() != env.container_id());
    CHECK(branch->read_file("/app/state.txt") == "before\n");
    branch->write_file("/app/state.txt", "branch\n");
    env.write_file("/app/only-in-parent.txt", "x");
    CHECK(env.read_file("/app/state.txt") == "before\n");
    CHECK(branch->exec({"test", "-e", "/app/only-in-parent.txt"}, 30s).exit_code == 1);
    CHECK(inspect(branch->container_id(), "{{.HostConfig.NetworkMode}}") == "none\n");
    CHECK(inspect(branch->container_id(), "{{index .Config.Labels \"autoswarm.test\"}}") ==
          kLabelValue + "\n");
    snapshot = inspect(branch->container_id(), "{{.Image}}");
    snapshot = snapshot.substr(0, snapshot.find('\n'));
  }
  CHECK(docker.containers_with_label(kLabel).size() == 1);  // the parent only
  CHECK_FALSE(docker.image_exists(snapshot));               // the branch took its snapshot along
}

TEST_CASE("continue_as takes over the chosen branch's container and every other one goes", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerCli docker;
  std::string first_id, chosen_id, snapshot;
  {
    DockerEnvironment env(docker, options());
    first_id = env.container_id();
    env.write_file("/app/state.txt", "before\n");
    std::unique_ptr<autoswarm::bench::Environment> a = env.branch("branch-a");
    std::unique_ptr<autoswarm::bench::Environment> b = env.branch("branch-b");
    a->write_file("/app/state.txt", "a\n");
    b->write_file("/app/only-in-b.txt", "b\n");
    chosen_id = dynamic_cast<DockerEnvironment&>(*a).container_id();
    snapshot = inspect(chosen_id, "{{.Image}}");
    snapshot = snapshot.substr(0, snapshot.find('\n'));
    CHECK(docker.containers_with_label(kLabel).size() == 3);

    env.continue_as(std::move(a));
    CHECK(env.container_id() == chosen_id);
    CHECK(env.read_file("/app/state.txt") == "a\n");
    CHECK(env.exec({"test", "-e", "/app/only-in-b.txt"}, 30s).exit_code == 1);
    b.reset();
    CHECK(docker.containers_with_label(kLabel) == std::vector<std::string>{chosen_id});
    CHECK(docker.image_exists(snapshot));  // the parent now owns the chosen branch's snapshot
  }
  CHECK(docker.containers_with_label(kLabel).empty());
  CHECK_FALSE(docker.image_exists(snapshot));
}

TEST_CASE("a shell script of any length runs, a too-long argument is CommandTooLongError",
          "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerEnvironment env(DockerCli(), options());
  // 300 KB of script: over the 128 KiB the kernel takes for one argument.
  std::string script = "x='" + std::string(300000, 'y') + "'; echo ${#x} \"$0\" \"$1\"; exit 3";
  autoswarm::bench::ExecResult r = env.exec({"bash", "-c", script, "name", "first"}, 60s);
  CHECK(r.out == "300000 name first\n");
  CHECK(r.exit_code == 3);
  CHECK(env.exec({"sh", "-c", "ls /tmp/.autoswarm-script-* 2>/dev/null | wc -l"}, 30s).out == "0\n");
  CHECK_THROWS_AS(env.exec({"printf", "%s", std::string(200000, 'z')}, 30s),
                  autoswarm::bench::CommandTooLongError);
  CHECK(env.exec({"true"}, 30s).exit_code == 0);  // the container is fine
}

TEST_CASE("exec keeps the head and tail of a 200 MB output, and counts all of it", "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  DockerEnvironment env(DockerCli(), options());
  autoswarm::bench::ExecResult r = env.exec(
      {"sh", "-c", "printf START; head -c 200000000 /dev/zero | tr '\\000' x; printf END"}, 120s);
  CHECK(r.exit_code == 0);
  CHECK(r.out_bytes == 200000008);
  CHECK(r.out.size() <= DockerEnvironment::kExecMaxOutput + 100);
  CHECK_THAT(r.out, Catch::StartsWith("STARTxxx") && Catch::EndsWith("xxxEND") &&
                        Catch::Contains(" bytes omitted ...]"));
}

TEST_CASE("containers run with a pids limit, few capabilities and their owner's labels",
          "[docker]") {
  AUTOSWARM_REQUIRE_DOCKER();
  ContainerOptions limited = options();
  limited.pids_limit = 64;
  DockerEnvironment env(DockerCli(), limited);
  CHECK(inspect(env.container_id(), "{{.HostConfig.PidsLimit}}") == "64\n");
  CHECK(inspect(env.container_id(), "{{.HostConfig.CapDrop}}") == "[ALL]\n");
  CHECK_THAT(inspect(env.container_id(), "{{.HostConfig.CapAdd}}"),
             Catch::Contains("CHOWN") && Catch::Contains("SETUID") && !Catch::Contains("MKNOD"));
  CHECK(inspect(env.container_id(), "{{index .Config.Labels \"autoswarm.owner\"}}") ==
        autoswarm::bench::ContainerOwner::self().id() + "\n");
  // A fork bomb stops at the limit; the container still answers.
  autoswarm::bench::ExecResult bomb = env.exec(
      // The forks happen in a subshell: bash gives up (or exits) when a fork keeps failing,
      // and the counting shell must survive that. Counting uses builtins only: no fork is
      // left at the limit.
      {"bash", "-c",
       "(for i in {1..200}; do sleep 10 & done) 2>/dev/null; n=0; for p in /proc/[0-9]*; do "
       "n=$((n + 1)); done; echo $n"},
      60s);
  INFO("exec output: " << bomb.out << " exit " << bomb.exit_code);
  REQUIRE_FALSE(bomb.out.empty());
  CHECK(std::stoi(bomb.out) <= 64);
  CHECK(env.exec({"sh", "-c", "mknod /tmp/null c 1 3"}, 30s).exit_code != 0);
  CHECK(env.exec({"sh", "-c", "touch /tmp/f && chown nobody /tmp/f"}, 30s).exit_code == 0);
}
