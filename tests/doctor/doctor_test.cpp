// Tests for doctor/doctor.h: whole reports (text and JSON) over fake servers on loopback.
#include "autoswarm/doctor/doctor.h"

#include <catch2/catch.hpp>

#include "support/fake_upstream.h"
#include "support/loopback.h"
#include "support/temp_dir.h"

using autoswarm::llm::BaseUrl;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::Flavor;
using autoswarm::testing::TempDir;
using namespace autoswarm::doctor;
using autoswarm::llm::ServerKind;
using autoswarm::testing::FakeUpstreamOptions;
using autoswarm::testing::closed_loopback_base_url;

namespace {

constexpr std::chrono::milliseconds kProbeTimeout{2000};

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
