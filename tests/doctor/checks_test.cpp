// Tests for doctor/checks.h: each environment check on its own.
#include "autoswarm/doctor/checks.h"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "support/fake_upstream.h"
#include "support/loopback.h"
#include "support/temp_dir.h"

using autoswarm::testing::FakeUpstream;
using autoswarm::testing::TempDir;
using autoswarm::util::DataDir;
using namespace autoswarm::doctor;

namespace {

constexpr std::chrono::milliseconds kCheckTimeout{2000};

// Answers GET /health like a running autoswarm proxy.
class FakeProxyHealth {
 public:
  FakeProxyHealth() {
    server_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok","service":"autoswarm","version":"0.1.0"})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeProxyHealth() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

void write(const std::filesystem::path& path, const std::string& text, bool executable = false) {
  std::ofstream(path) << text;
  if (executable) std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("proxy port: free, served by autoswarm, or taken", "[doctor]") {
  SECTION("free") {
    int port = autoswarm::testing::closed_loopback_port();
    Check c = check_proxy_port("127.0.0.1", port, kCheckTimeout);
    CHECK(c.status == CheckStatus::kOk);
    CHECK(c.message == "127.0.0.1:" + std::to_string(port) + " is free");
    CHECK(c.details["state"] == "free");
  }
  SECTION("an autoswarm proxy already runs there") {
    FakeProxyHealth proxy;
    Check c = check_proxy_port("127.0.0.1", proxy.port(), kCheckTimeout);
    CHECK(c.status == CheckStatus::kOk);
    CHECK_THAT(c.message, Catch::Contains("already served by an autoswarm proxy (version 0.1.0)"));
    CHECK(c.details["state"] == "autoswarm");
  }
  SECTION("something else holds it") {
    FakeUpstream other;
    Check c = check_proxy_port("127.0.0.1", other.port(), kCheckTimeout);
    CHECK(c.status == CheckStatus::kProblem);
    CHECK_THAT(c.message, Catch::Contains("taken by another program"));
    CHECK(c.fixes == std::vector<std::string>{"autoswarm start --port " + std::to_string(other.port() + 1)});
    CHECK(c.details["state"] == "taken");
  }
}

TEST_CASE("data dir: created private and writable", "[doctor]") {
  TempDir tmp;
  SECTION("missing: created with mode 0700") {
    Check c = check_data_dir(DataDir(tmp / "a" / "home"));
    CHECK(c.status == CheckStatus::kOk);
    CHECK(mode_of(tmp / "a" / "home") == 0700);
    CHECK(c.details["created"] == true);
    CHECK(c.details["writable"] == true);
    CHECK(std::filesystem::is_empty(tmp / "a" / "home"));  // the test file is gone
  }
  SECTION("readable by others: a warning with chmod 700") {
    std::filesystem::create_directory(tmp / "open");
    ::chmod((tmp / "open").c_str(), 0755);
    Check c = check_data_dir(DataDir(tmp / "open"));
    CHECK(c.status == CheckStatus::kWarning);
    CHECK(c.fixes == std::vector<std::string>{"chmod 700 " + (tmp / "open").string()});
  }
  SECTION("a file in the way") {
    write(tmp / "file", "x");
    Check c = check_data_dir(DataDir(tmp / "file"));
    CHECK(c.status == CheckStatus::kProblem);
    CHECK_THAT(c.message, Catch::Contains("not a directory"));
    CHECK(c.details["writable"] == false);
  }
}

TEST_CASE("skills.yaml: absent, valid, or malformed with its file:line", "[doctor]") {
  TempDir tmp;
  const auto file = tmp / "skills.yaml";
  CHECK(check_skills(file).status == CheckStatus::kOk);
  CHECK(check_skills(file).details["present"] == false);

  write(file, "version: 1\nskills:\n  - id: sk-1\n    text: Answer briefly.\n");
  Check valid = check_skills(file);
  CHECK(valid.status == CheckStatus::kOk);
  CHECK(valid.details["skills"] == 1);

  write(file, "version: 1\nskills:\n  - id: sk-1\n    text: ok\n  - id: sk-2\n");
  Check broken = check_skills(file);
  CHECK(broken.status == CheckStatus::kProblem);
  CHECK_THAT(broken.message, Catch::StartsWith(file.string() + ":5:"));
  CHECK_THAT(broken.fixes.at(0), Catch::StartsWith("mv " + file.string()));
}

TEST_CASE("docker: a missing or stopped docker is a warning with a fix", "[doctor]") {
  TempDir tmp;
  SECTION("not installed") {
    Check c = check_docker((tmp / "docker").string(), kCheckTimeout);
    CHECK(c.status == CheckStatus::kWarning);
    CHECK(c.fixes == std::vector<std::string>{"sudo apt-get install docker.io"});
    CHECK(c.details["installed"] == false);
  }
  SECTION("daemon not running") {
    write(tmp / "docker",
          "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
          "Is the docker daemon running?' >&2\nexit 1\n", true);
    Check c = check_docker((tmp / "docker").string(), kCheckTimeout);
    CHECK(c.status == CheckStatus::kWarning);
    CHECK(c.fixes == std::vector<std::string>{"sudo dockerd"});
  }
  SECTION("working") {
    write(tmp / "docker", "#!/bin/sh\n[ \"$1 $2 $3\" = 'version --format {{.Server.Version}}' ] && echo 27.3.1\n", true);
    Check c = check_docker((tmp / "docker").string(), kCheckTimeout);
    CHECK(c.status == CheckStatus::kOk);
    CHECK(c.message == "docker 27.3.1");
    CHECK(c.details["server_version"] == "27.3.1");
  }
}
