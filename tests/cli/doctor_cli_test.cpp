// `autoswarm doctor` as a user runs it: the real binary, pointed at fake servers on loopback
// through AUTOSWARM_*_URL, with its own --home and a PATH without docker.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "autoswarm/util/subprocess.h"
#include "support/fake_upstream.h"
#include "support/loopback.h"
#include "support/temp_dir.h"

using autoswarm::testing::FakeUpstream;
using autoswarm::testing::Flavor;
using autoswarm::testing::TempDir;
using autoswarm::util::ProcessOptions;
using autoswarm::util::ProcessResult;
using autoswarm::testing::FakeUpstreamOptions;

namespace {

// Which fake answers for which server; empty means a closed port.
struct Servers {
  std::string lmstudio{};
  std::string ollama{};
  std::string vllm{};
};

class Doctor {
 public:
  explicit Doctor(Servers servers) : servers_(std::move(servers)) {
    std::filesystem::create_directory(tmp_ / "empty-path");
  }

  std::filesystem::path home() const { return tmp_ / "home"; }

  ProcessResult run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {AUTOSWARM_BINARY, "--home", home().string(), "doctor",
                               "--port", std::to_string(autoswarm::testing::closed_loopback_port())});
    ProcessOptions options;
    options.timeout = std::chrono::seconds(30);
    options.env = {{"AUTOSWARM_LMSTUDIO_URL", or_closed(servers_.lmstudio)},
                   {"AUTOSWARM_OLLAMA_URL", or_closed(servers_.ollama)},
                   {"AUTOSWARM_VLLM_URL", or_closed(servers_.vllm)},
                   {"PATH", (tmp_ / "empty-path").string()}};  // no docker, whatever the machine has
    for (auto& [k, v] : env) options.env[k] = v;
    options.unset_env = {"AUTOSWARM_HOME", "OLLAMA_HOST", "OPENAI_API_KEY"};
    return autoswarm::util::run_process(args, options);
  }

 private:
  static std::string or_closed(const std::string& url) {
    return url.empty() ? autoswarm::testing::closed_loopback_url() : url;
  }

  Servers servers_;
  TempDir tmp_;
};

}  // namespace

TEST_CASE("doctor finds Ollama, shows every server and exits 0", "[doctor][cli]") {
  FakeUpstream ollama(FakeUpstreamOptions{.flavor = Flavor::kOllama, .models = {{"llama3.2:latest", false}}});
  Doctor doctor({.ollama = ollama.url()});
  ProcessResult r = doctor.run({});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\nLM Studio        not running  http://127.0.0.1:") ||
                        Catch::StartsWith("LM Studio        not running  http://127.0.0.1:"));
  CHECK_THAT(r.out, Catch::Contains("\n  fix: lms server start\n"));
  CHECK_THAT(r.out, Catch::Contains("\nOllama           ok           " + ollama.url() + "/v1 (version 0.12.6)\n"
                                    "  models: llama3.2:latest\n"));
  CHECK_THAT(r.out, Catch::Contains("\nvLLM             not running  "));
  CHECK_THAT(r.out, Catch::Contains("\n  fix: vllm serve <model> --port "));
  CHECK_THAT(r.out, Catch::Contains("\ndocker           warning      docker is not installed"));
  CHECK_THAT(r.out, Catch::EndsWith("\nselected: Ollama at " + ollama.url() + "/v1, model llama3.2:latest\n"));
  CHECK(r.out.find('\033') == std::string::npos);  // not a terminal: no colour
}

TEST_CASE("doctor with nothing usable exits 1 and says how to fix it", "[doctor][cli]") {
  FakeUpstream lmstudio(FakeUpstreamOptions{.flavor = Flavor::kLmStudio, .models = {{"qwen2.5-7b-instruct", false}}});
  Doctor doctor({.lmstudio = lmstudio.url()});
  ProcessResult r = doctor.run({});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("LM Studio        not usable   " + lmstudio.url() + "/v1\n"
                                    "  models: qwen2.5-7b-instruct\n"
                                    "  loaded: none\n"
                                    "  no model is loaded (1 downloaded)\n"
                                    "  fix: lms load qwen2.5-7b-instruct\n"));
  CHECK_THAT(r.out, Catch::Contains("\nno usable upstream: start or fix one of the servers above\n"
                                    "  fix: lms load qwen2.5-7b-instruct   # LM Studio\n"
                                    "  fix: ollama serve   # Ollama\n"));
}

TEST_CASE("doctor --json prints one JSON object and nothing else", "[doctor][cli]") {
  FakeUpstream vllm(FakeUpstreamOptions{.flavor = Flavor::kVllm, .models = {{"Qwen/Qwen2.5-1.5B-Instruct", true}}});
  Doctor doctor({.vllm = vllm.url()});
  ProcessResult r = doctor.run({"--json", "--model", "Qwen/Qwen2.5-1.5B-Instruct"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);  // throws on anything but one JSON value
  REQUIRE(j.is_object());
  CHECK(j["ok"] == true);
  CHECK(j["selected"] == nlohmann::json{{"url", vllm.url() + "/v1"},
                                        {"model", "Qwen/Qwen2.5-1.5B-Instruct"},
                                        {"server", "vLLM"},
                                        {"kind", "vllm"}});
  REQUIRE(j["servers"].size() == 3);
  CHECK(j["servers"][2]["loaded"] == nlohmann::json::array({"Qwen/Qwen2.5-1.5B-Instruct"}));
  for (const char* key : {"proxy_port", "data_dir", "skills", "docker"}) {
    CHECK(j[key].contains("status"));
  }

  FakeUpstream nothing(FakeUpstreamOptions{.flavor = Flavor::kOllama, .models = {}});
  Doctor failing({.ollama = nothing.url()});
  ProcessResult f = failing.run({"--json"});
  CHECK(f.exit_code == 1);
  nlohmann::json fj = nlohmann::json::parse(f.out);
  CHECK(fj["ok"] == false);
  CHECK(fj["selected"].is_null());
  CHECK(fj["servers"][1]["fixes"] == nlohmann::json::array({"ollama pull llama3.2"}));
}

TEST_CASE("doctor reports a malformed skills.yaml with its file and line", "[doctor][cli]") {
  FakeUpstream ollama(FakeUpstreamOptions{.flavor = Flavor::kOllama, .models = {{"llama3.2:latest", true}}});
  Doctor doctor({.ollama = ollama.url()});
  std::filesystem::create_directories(doctor.home());
  const auto skills = doctor.home() / "skills.yaml";
  std::ofstream(skills) << "version: 1\nskills:\n  - id: sk-1\n    text: [unclosed\n";
  ProcessResult r = doctor.run({});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);  // a broken skillbook is reported, the upstream still works
  CHECK_THAT(r.out, Catch::Contains("\nskills           problem      " + skills.string() + ":"));
  CHECK_THAT(r.out, Catch::Contains("  fix: mv " + skills.string() + " " + skills.string() + ".broken\n"));
}

TEST_CASE("doctor never prints the API key", "[doctor][cli]") {
  const std::string key = "sk-cli-secret-4242";
  FakeUpstream hosted(FakeUpstreamOptions{.flavor = Flavor::kOpenAI, .models = {{"gpt-4o-mini", true}}, .api_key = key});
  Doctor doctor({});

  ProcessResult flag = doctor.run({"--upstream", hosted.url() + "/v1", "--api-key", key});
  INFO(flag.out << flag.err);
  CHECK(flag.exit_code == 0);
  CHECK_THAT(flag.out, Catch::EndsWith("selected: custom upstream at " + hosted.url() +
                                       "/v1, model gpt-4o-mini\n"));

  ProcessResult env = doctor.run({"--upstream", hosted.url(), "--json", "-v"}, {{"OPENAI_API_KEY", key}});
  CHECK(env.exit_code == 0);
  CHECK(nlohmann::json::parse(env.out)["selected"]["kind"] == "custom");

  ProcessResult wrong = doctor.run({"--upstream", hosted.url(), "--api-key", key + "x", "-v"});
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.out, Catch::Contains("refused the API key"));
  CHECK_THAT(wrong.out, Catch::Contains("  fix: export OPENAI_API_KEY=<key>\n"));

  for (const ProcessResult* r : {&flag, &env, &wrong}) {
    CHECK(r->out.find(key) == std::string::npos);
    CHECK(r->err.find(key) == std::string::npos);
  }
}

TEST_CASE("doctor creates the data directory private", "[doctor][cli]") {
  Doctor doctor({});
  ProcessResult r = doctor.run({});
  CHECK(r.exit_code == 1);
  struct stat info {};
  REQUIRE(::stat(doctor.home().c_str(), &info) == 0);
  CHECK((info.st_mode & 07777) == 0700);
  CHECK_THAT(r.out, Catch::Contains("\ndata dir         ok           " + doctor.home().string() +
                                    " (writable, mode 0700, created now)\n"));
}

TEST_CASE("doctor rejects a malformed --upstream as a usage error", "[doctor][cli]") {
  Doctor doctor({});
  ProcessResult r = doctor.run({"--upstream", "127.0.0.1:1234"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("invalid upstream URL"));
  CHECK(r.out.empty());
}
