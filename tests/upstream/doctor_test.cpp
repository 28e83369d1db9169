// Tests for upstream/doctor.h: each environment check on its own, and whole reports (text and
// JSON) over fake servers on loopback.
#include "autoswarm/upstream/doctor.h"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "support/fake_upstream.h"
#include "support/loopback.h"
#include "support/temp_dir.h"

using autoswarm::llm::BaseUrl;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::Flavor;
using autoswarm::testing::TempDir;
using autoswarm::util::DataDir;
using namespace autoswarm::upstream;
using autoswarm::testing::FakeUpstreamOptions;
using autoswarm::testing::closed_loopback_base_url;

namespace {

constexpr std::chrono::milliseconds kProbeTimeout{2000};

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

// Doctor options probing only the given servers, with a home in `home` and no real docker.
DoctorOptions options_for(std::vector<std::pair<ServerKind, BaseUrl>> servers, const TempDir& home) {
  DoctorOptions o;
  o.upstream.probe_timeout = kProbeTimeout;
  o.upstream.local_servers = std::move(servers);
  o.proxy_port = autoswarm::testing::closed_loopback_port();
  o.home = (home / "data").string();
  o.docker_program = (home / "no-such-docker").string();
  return o;
}

}  // namespace

TEST_CASE("proxy port: free, served by autoswarm, or taken", "[doctor]") {
  SECTION("free") {
    int port = autoswarm::testing::closed_loopback_port();
    Check c = check_proxy_port("127.0.0.1", port, kProbeTimeout);
    CHECK(c.status == CheckStatus::kOk);
    CHECK(c.message == "127.0.0.1:" + std::to_string(port) + " is free");
    CHECK(c.details["state"] == "free");
  }
  SECTION("an autoswarm proxy already runs there") {
    FakeProxyHealth proxy;
    Check c = check_proxy_port("127.0.0.1", proxy.port(), kProbeTimeout);
    CHECK(c.status == CheckStatus::kOk);
    CHECK_THAT(c.message, Catch::Contains("already served by an autoswarm proxy (version 0.1.0)"));
    CHECK(c.details["state"] == "autoswarm");
  }
  SECTION("something else holds it") {
    FakeUpstream other;
    Check c = check_proxy_port("127.0.0.1", other.port(), kProbeTimeout);
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
    Check c = check_docker((tmp / "docker").string(), kProbeTimeout);
    CHECK(c.status == CheckStatus::kWarning);
    CHECK(c.fixes == std::vector<std::string>{"sudo apt-get install docker.io"});
    CHECK(c.details["installed"] == false);
  }
  SECTION("daemon not running") {
    write(tmp / "docker",
          "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
          "Is the docker daemon running?' >&2\nexit 1\n", true);
    Check c = check_docker((tmp / "docker").string(), kProbeTimeout);
    CHECK(c.status == CheckStatus::kWarning);
    CHECK(c.fixes == std::vector<std::string>{"sudo dockerd"});
  }
  SECTION("working") {
    write(tmp / "docker", "#!/bin/sh\n[ \"$1 $2 $3\" = 'version --format {{.Server.Version}}' ] && echo 27.3.1\n", true);
    Check c = check_docker((tmp / "docker").string(), kProbeTimeout);
    CHECK(c.status == CheckStatus::kOk);
    CHECK(c.message == "docker 27.3.1");
    CHECK(c.details["server_version"] == "27.3.1");
  }
}

TEST_CASE("doctor report with Ollama running and the rest stopped", "[doctor]") {
  TempDir home;
  FakeUpstream ollama(FakeUpstreamOptions{.flavor = Flavor::kOllama, .models = {{"llama3.2:latest", false}}});
  auto options = options_for({{ServerKind::kLmStudio, closed_loopback_base_url()},
                              {ServerKind::kOllama, BaseUrl::parse(ollama.url())},
                              {ServerKind::kVllm, closed_loopback_base_url()}},
                             home);
  DoctorReport report = run_doctor(options);
  REQUIRE(report.ok());
  CHECK(report.selected->kind == ServerKind::kOllama);
  CHECK(report.selected->model == "llama3.2:latest");
  CHECK(report.servers.size() == 3);
  CHECK(report.data_dir.status == CheckStatus::kOk);
  CHECK(report.docker.status == CheckStatus::kWarning);

  const std::string text = report.render_text(false);
  CHECK_THAT(text, Catch::Contains("LM Studio        not running  http://127.0.0.1:"));
  CHECK_THAT(text, Catch::Contains("Ollama           ok           " + BaseUrl::parse(ollama.url()).str() +
                                   " (version 0.12.6)"));
  CHECK_THAT(text, Catch::Contains("  models: llama3.2:latest\n"));
  CHECK_THAT(text, Catch::Contains("  fix: lms server start\n"));
  CHECK_THAT(text, Catch::Contains("  fix: sudo apt-get install docker.io\n"));
  CHECK_THAT(text, Catch::Contains("proxy port       ok           127.0.0.1:"));
  CHECK_THAT(text, Catch::EndsWith("selected: Ollama at " + BaseUrl::parse(ollama.url()).str() +
                                   ", model llama3.2:latest\n"));
  CHECK(text.find('\033') == std::string::npos);
  CHECK_THAT(report.render_text(true), Catch::Contains("\033[32mok"));

  nlohmann::json j = report.to_json();
  CHECK(j["ok"] == true);
  CHECK(j["selected"]["server"] == "Ollama");
  CHECK(j["selected"]["model"] == "llama3.2:latest");
  REQUIRE(j["servers"].size() == 3);
  CHECK(j["servers"][0]["kind"] == "lmstudio");
  CHECK(j["servers"][0]["reachable"] == false);
  CHECK(j["servers"][0]["fixes"][0] == "lms server start");
  CHECK(j["servers"][1]["usable"] == true);
  CHECK(j["servers"][1]["version"] == "0.12.6");
  CHECK(j["proxy_port"]["status"] == "ok");
  CHECK(j["data_dir"]["path"] == (home / "data").string());
  CHECK(j["skills"]["present"] == false);
  CHECK(j["docker"]["installed"] == false);
}

TEST_CASE("doctor report with nothing usable lists the fixes", "[doctor]") {
  TempDir home;
  FakeUpstream ollama(FakeUpstreamOptions{.flavor = Flavor::kOllama, .models = {}});
  auto options = options_for({{ServerKind::kLmStudio, closed_loopback_base_url()},
                              {ServerKind::kOllama, BaseUrl::parse(ollama.url())},
                              {ServerKind::kVllm, closed_loopback_base_url()}},
                             home);
  DoctorReport report = run_doctor(options);
  CHECK_FALSE(report.ok());
  const std::string text = report.render_text(false);
  CHECK_THAT(text, Catch::Contains("Ollama           not usable"));
  CHECK_THAT(text, Catch::Contains("  no model is installed\n  fix: ollama pull llama3.2\n"));
  CHECK_THAT(text, Catch::Contains("no usable upstream: start or fix one of the servers above\n"
                                   "  fix: lms server start   # LM Studio\n"
                                   "  fix: ollama pull llama3.2   # Ollama\n"
                                   "  fix: vllm serve <model> --port "));
  CHECK(report.to_json()["selected"].is_null());
  CHECK(report.to_json()["ok"] == false);
}

TEST_CASE("doctor with --upstream lists the local servers too and never shows the key", "[doctor]") {
  TempDir home;
  const std::string key = "sk-doctor-secret-789";
  FakeUpstream hosted(FakeUpstreamOptions{.flavor = Flavor::kOpenAI, .models = {{"gpt-4o-mini", true}}, .api_key = key});
  auto options = options_for({{ServerKind::kOllama, closed_loopback_base_url()}}, home);
  options.upstream.upstream_url = hosted.url();

  SECTION("the right key") {
    options.upstream.api_key = key;
    DoctorReport report = run_doctor(options);
    REQUIRE(report.ok());
    CHECK(report.selected->kind == ServerKind::kCustom);
    REQUIRE(report.servers.size() == 2);
    CHECK(report.servers[0].kind == ServerKind::kOllama);
    CHECK(report.servers[1].kind == ServerKind::kCustom);
    CHECK(report.render_text(false).find(key) == std::string::npos);
    CHECK(report.to_json().dump().find(key) == std::string::npos);
  }
  SECTION("a refused key") {
    options.upstream.api_key = key + "-wrong";
    DoctorReport report = run_doctor(options);
    CHECK_FALSE(report.ok());
    const std::string text = report.render_text(false);
    CHECK_THAT(text, Catch::Contains("refused the API key"));
    CHECK_THAT(text, Catch::Contains("no usable upstream: start or fix one of the servers above\n"
                                     "  fix: export OPENAI_API_KEY=<key>\n"));
    CHECK_THAT(text, !Catch::Contains("ollama serve   #"));  // start would not use Ollama
    CHECK(text.find(key) == std::string::npos);
    CHECK(report.to_json().dump().find(key) == std::string::npos);
  }
}
