// Tests for upstream/local_servers.h: probing fake LM Studio / Ollama / vLLM / custom servers on
// loopback, the fixes suggested, and which upstream and model `start` would choose.
#include "autoswarm/upstream/local_servers.h"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "autoswarm/util/error.h"
#include "support/fake_upstream.h"
#include "support/loopback.h"

using autoswarm::llm::BaseUrl;
using autoswarm::llm::ServerKind;
using autoswarm::testing::FakeModel;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::Flavor;
using namespace autoswarm::upstream;
using autoswarm::testing::FakeUpstreamOptions;
using autoswarm::testing::closed_loopback_base_url;

namespace {

constexpr std::chrono::milliseconds kTimeout{2000};

// Fixed JSON replies by path (anything else 404), for shapes the fake does not serve.
class CannedServer {
 public:
  explicit CannedServer(std::map<std::string, std::pair<int, std::string>> replies,
                        std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    for (const auto& [path, reply] : replies) {
      server_.Get(path, [reply = reply, delay](const httplib::Request&, httplib::Response& res) {
        std::this_thread::sleep_for(delay);
        res.status = reply.first;
        res.set_content(reply.second, "application/json");
      });
    }
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CannedServer() {
    server_.stop();
    thread_.join();
  }
  BaseUrl url() const { return BaseUrl::parse("http://127.0.0.1:" + std::to_string(port_)); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

FakeUpstream fake(Flavor flavor, std::vector<FakeModel> models) {
  return FakeUpstream(FakeUpstreamOptions{.flavor = flavor, .models = std::move(models)});
}

ServerStatus probe(ServerKind kind, const FakeUpstream& server, const std::string& key = "") {
  return probe_server(kind, BaseUrl::parse(server.url()), key, kTimeout);
}

// Options probing exactly these servers (in this order); the rest of the machine is not asked.
UpstreamOptions local(std::vector<std::pair<ServerKind, BaseUrl>> servers) {
  UpstreamOptions o;
  o.probe_timeout = kTimeout;
  o.local_servers = std::move(servers);
  return o;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("LM Studio with a loaded model is usable and picks the loaded one", "[upstream]") {
  auto server = fake(Flavor::kLmStudio, {{"gemma-3-270m-it", false}, {"qwen2.5-7b-instruct", true}});
  ServerStatus s = probe(ServerKind::kLmStudio, server);
  CHECK(s.reachable);
  CHECK(s.models == std::vector<std::string>{"gemma-3-270m-it", "qwen2.5-7b-instruct"});
  CHECK(s.loaded == std::vector<std::string>{"qwen2.5-7b-instruct"});
  CHECK(s.loaded_known);
  CHECK(s.usable());
  CHECK(s.default_model() == "qwen2.5-7b-instruct");
  CHECK(s.error.empty());
  CHECK(s.fixes.empty());
}

TEST_CASE("LM Studio with nothing loaded is not usable and suggests lms load", "[upstream]") {
  auto server = fake(Flavor::kLmStudio, {{"gemma-3-270m-it", false}, {"qwen2.5-7b-instruct", false}});
  ServerStatus s = probe(ServerKind::kLmStudio, server);
  CHECK(s.reachable);
  CHECK(s.models.size() == 2);
  CHECK(s.loaded.empty());
  CHECK_FALSE(s.usable());
  CHECK_THAT(s.error, Catch::Contains("no model is loaded"));
  CHECK(s.fixes == std::vector<std::string>{"lms load gemma-3-270m-it"});
}

TEST_CASE("LM Studio with nothing downloaded suggests lms get", "[upstream]") {
  auto server = fake(Flavor::kLmStudio, {});
  ServerStatus s = probe(ServerKind::kLmStudio, server);
  CHECK(s.reachable);
  CHECK_FALSE(s.usable());
  CHECK(s.fixes == std::vector<std::string>{"lms get qwen2.5-7b-instruct"});
}

TEST_CASE("LM Studio before 0.4 is read from /api/v0/models", "[upstream]") {
  CannedServer server({{"/api/v0/models", {200, R"({"object":"list","data":[
      {"id":"text-embedding-nomic","type":"embeddings","state":"loaded"},
      {"id":"llama-3.2-1b","type":"llm","state":"not-loaded"},
      {"id":"qwen2-vl","type":"vlm","state":"loaded"}]})"}}});
  ServerStatus s = probe_server(ServerKind::kLmStudio, server.url(), "", kTimeout);
  CHECK(s.reachable);
  CHECK(s.models == std::vector<std::string>{"llama-3.2-1b", "qwen2-vl"});  // no embedding model
  CHECK(s.loaded == std::vector<std::string>{"qwen2-vl"});
  CHECK(s.usable());
}

TEST_CASE("LM Studio answering only /v1/models counts as usable without knowing what is loaded",
          "[upstream]") {
  CannedServer server({{"/v1/models", {200, R"({"object":"list","data":[
      {"id":"qwen2.5-7b-instruct","object":"model"},{"id":"text-embedding-nomic-embed","object":"model"}]})"}}});
  ServerStatus s = probe_server(ServerKind::kLmStudio, server.url(), "", kTimeout);
  CHECK(s.reachable);
  CHECK_FALSE(s.loaded_known);
  CHECK(s.models == std::vector<std::string>{"qwen2.5-7b-instruct"});
  CHECK(s.usable());
  CHECK(s.default_model() == "qwen2.5-7b-instruct");
}

TEST_CASE("Ollama with installed models is usable even when none is loaded", "[upstream]") {
  auto server = fake(Flavor::kOllama, {{"llama3.2:latest", false}, {"qwen2.5:7b", false}});
  ServerStatus s = probe(ServerKind::kOllama, server);
  CHECK(s.reachable);
  CHECK(s.version == "0.12.6");
  CHECK(s.models == std::vector<std::string>{"llama3.2:latest", "qwen2.5:7b"});
  CHECK(s.loaded.empty());
  CHECK(s.usable());
  CHECK(s.default_model() == "llama3.2:latest");
}

TEST_CASE("Ollama prefers the model already in memory", "[upstream]") {
  auto server = fake(Flavor::kOllama, {{"llama3.2:latest", false}, {"qwen2.5:7b", true}});
  ServerStatus s = probe(ServerKind::kOllama, server);
  CHECK(s.loaded == std::vector<std::string>{"qwen2.5:7b"});
  CHECK(s.default_model() == "qwen2.5:7b");
}

TEST_CASE("Ollama with no models (\"data\": null) is not usable and suggests ollama pull",
          "[upstream]") {
  auto server = fake(Flavor::kOllama, {});
  ServerStatus s = probe(ServerKind::kOllama, server);
  CHECK(s.reachable);
  CHECK(s.models.empty());
  CHECK_FALSE(s.usable());
  CHECK(s.fixes == std::vector<std::string>{"ollama pull llama3.2"});
  // The OpenAI-style listing of the same server says "data": null; it is an empty list too.
  UpstreamOptions o;
  o.upstream_url = server.url();
  o.probe_timeout = kTimeout;
  std::vector<ServerStatus> findings;
  CHECK_FALSE(choose_upstream(o, &findings));
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].reachable);
  CHECK(findings[0].models.empty());
}

TEST_CASE("vLLM serves what it lists", "[upstream]") {
  auto server = fake(Flavor::kVllm, {{"meta-llama/Llama-3.1-8B-Instruct", true}});
  ServerStatus s = probe(ServerKind::kVllm, server);
  CHECK(s.reachable);
  CHECK(s.version == "0.11.0");
  CHECK(s.loaded == s.models);
  CHECK(s.usable());
  CHECK(s.default_model() == "meta-llama/Llama-3.1-8B-Instruct");
}

TEST_CASE("vLLM with a dead engine suggests restarting it with its model", "[upstream]") {
  CannedServer server({{"/health", {503, ""}},
                       {"/v1/models", {200, R"({"object":"list","data":[{"id":"Qwen/Qwen2.5-1.5B"}]})"}}});
  ServerStatus s = probe_server(ServerKind::kVllm, server.url(), "", kTimeout);
  CHECK(s.reachable);
  CHECK_FALSE(s.usable());
  CHECK_THAT(s.error, Catch::Contains("503"));
  REQUIRE(s.fixes.size() == 1);
  CHECK(s.fixes[0] == "vllm serve Qwen/Qwen2.5-1.5B --port " + std::to_string(server.url().port));
}

TEST_CASE("nothing running: no selection, and a fix for every server", "[upstream]") {
  BaseUrl lm = closed_loopback_base_url(), ol = closed_loopback_base_url(), vl = closed_loopback_base_url();
  std::vector<ServerStatus> findings;
  auto chosen = choose_upstream(
      local({{ServerKind::kLmStudio, lm}, {ServerKind::kOllama, ol}, {ServerKind::kVllm, vl}}),
      &findings);
  CHECK_FALSE(chosen);
  REQUIRE(findings.size() == 3);
  for (const auto& s : findings) {
    CHECK_FALSE(s.reachable);
    CHECK_FALSE(s.usable());
    CHECK_THAT(s.error, Catch::Contains("127.0.0.1"));
  }
  CHECK(findings[0].kind == ServerKind::kLmStudio);
  CHECK(findings[0].fixes == std::vector<std::string>{"lms server start"});
  CHECK_THAT(findings[0].hints.at(0), Catch::Contains("npx lmstudio install-cli"));
  CHECK(findings[1].fixes == std::vector<std::string>{"ollama serve"});
  CHECK_THAT(findings[1].hints.at(0), Catch::Contains("systemctl start ollama"));
  CHECK(findings[2].fixes ==
        std::vector<std::string>{"vllm serve <model> --port " + std::to_string(vl.port)});
}

TEST_CASE("a server that does not answer in time counts as not reachable", "[upstream]") {
  CannedServer slow({{"/api/v1/models", {200, R"({"models":[]})"}}}, std::chrono::milliseconds(800));
  ServerStatus s = probe_server(ServerKind::kLmStudio, slow.url(), "", std::chrono::milliseconds(150));
  CHECK_FALSE(s.reachable);
  CHECK_THAT(s.error, Catch::Contains("did not answer"));
}

TEST_CASE("detection prefers LM Studio, then Ollama, then vLLM", "[upstream]") {
  auto lm = fake(Flavor::kLmStudio, {{"qwen2.5-7b-instruct", true}});
  auto ol = fake(Flavor::kOllama, {{"llama3.2:latest", false}});
  auto vl = fake(Flavor::kVllm, {{"meta-llama/Llama-3.1-8B-Instruct", true}});
  auto options = local({{ServerKind::kLmStudio, BaseUrl::parse(lm.url())},
                        {ServerKind::kOllama, BaseUrl::parse(ol.url())},
                        {ServerKind::kVllm, BaseUrl::parse(vl.url())}});

  SECTION("all usable: LM Studio") {
    std::vector<ServerStatus> findings;
    auto chosen = choose_upstream(options, &findings);
    REQUIRE(chosen);
    CHECK(chosen->kind == ServerKind::kLmStudio);
    CHECK(chosen->url == BaseUrl::parse(lm.url()));
    CHECK(chosen->model == "qwen2.5-7b-instruct");
    CHECK(findings.size() == 3);
  }
  SECTION("LM Studio with nothing loaded is skipped for Ollama") {
    lm.set_models({{"qwen2.5-7b-instruct", false}});
    auto chosen = choose_upstream(options);
    REQUIRE(chosen);
    CHECK(chosen->kind == ServerKind::kOllama);
    CHECK(chosen->model == "llama3.2:latest");
  }
  SECTION("then vLLM") {
    lm.set_models({});
    ol.set_models({});
    auto chosen = choose_upstream(options);
    REQUIRE(chosen);
    CHECK(chosen->kind == ServerKind::kVllm);
    CHECK(chosen->model == "meta-llama/Llama-3.1-8B-Instruct");
  }
  SECTION("--model overrides the model") {
    options.model = "my-own-model";
    auto chosen = choose_upstream(options);
    REQUIRE(chosen);
    CHECK(chosen->kind == ServerKind::kLmStudio);
    CHECK(chosen->model == "my-own-model");
  }
  SECTION("--model prefers the server that has it") {
    options.model = "llama3.2:latest";
    auto chosen = choose_upstream(options);
    REQUIRE(chosen);
    CHECK(chosen->kind == ServerKind::kOllama);
    CHECK(chosen->model == "llama3.2:latest");
  }
}

TEST_CASE("a custom upstream is checked with the API key, which never shows", "[upstream]") {
  FakeUpstream server(FakeUpstreamOptions{.flavor = Flavor::kOpenAI, .models = {{"gpt-4o-mini", true}}, .api_key = "sk-test-secret-123"});
  UpstreamOptions o = local({{ServerKind::kOllama, closed_loopback_base_url()}});
  o.upstream_url = server.url() + "/v1";

  SECTION("without a key") {
    std::vector<ServerStatus> findings;
    CHECK_FALSE(choose_upstream(o, &findings));
    REQUIRE(findings.size() == 1);  // --upstream skips detection
    const ServerStatus& s = findings[0];
    CHECK(s.kind == ServerKind::kCustom);
    CHECK(s.reachable);
    CHECK_FALSE(s.usable());
    CHECK_THAT(s.error, Catch::Contains("requires an API key") && Catch::Contains("401"));
    CHECK_THAT(s.fixes.at(0), Catch::Contains("OPENAI_API_KEY"));
    CHECK_THAT(s.hints.at(0), Catch::Contains("--api-key"));
  }
  SECTION("with a wrong key") {
    o.api_key = "sk-wrong-key-456";
    std::vector<ServerStatus> findings;
    CHECK_FALSE(choose_upstream(o, &findings));
    CHECK_THAT(findings.at(0).error, Catch::Contains("refused the API key"));
    CHECK_THAT(findings.at(0).error, !Catch::Contains("sk-wrong-key-456"));
  }
  SECTION("with the key") {
    o.api_key = "sk-test-secret-123";
    auto chosen = choose_upstream(o);
    REQUIRE(chosen);
    CHECK(chosen->kind == ServerKind::kCustom);
    CHECK(chosen->url == BaseUrl::parse(server.url()));
    CHECK(chosen->model == "gpt-4o-mini");
    CHECK(chosen->key == "sk-test-secret-123");
    REQUIRE_FALSE(server.requests().empty());
    CHECK(server.requests().back()["headers"]["Authorization"] == "Bearer sk-test-secret-123");
  }
}

TEST_CASE("a custom upstream that lists no models needs --model", "[upstream]") {
  CannedServer server({{"/v1/models", {200, R"({"object":"list","data":[]})"}}});
  UpstreamOptions o;
  o.probe_timeout = kTimeout;
  o.upstream_url = server.url().str();
  std::vector<ServerStatus> findings;
  CHECK_FALSE(choose_upstream(o, &findings));
  CHECK_THAT(findings.at(0).hints.at(0), Catch::Contains("--model"));

  o.model = "served-model";
  auto chosen = choose_upstream(o);
  REQUIRE(chosen);
  CHECK(chosen->model == "served-model");
}

TEST_CASE("a malformed --upstream is a usage error", "[upstream]") {
  UpstreamOptions o;
  o.upstream_url = "localhost:1234";
  CHECK_THROWS_AS(choose_upstream(o), autoswarm::UsageError);
}

TEST_CASE("OLLAMA_HOST is read like Ollama does, but only on loopback", "[upstream]") {
  CHECK(parse_ollama_host("127.0.0.1:11500")->str() == "http://127.0.0.1:11500/v1");
  CHECK(parse_ollama_host("0.0.0.0:11434")->str() == "http://127.0.0.1:11434/v1");
  CHECK(parse_ollama_host("0.0.0.0")->str() == "http://127.0.0.1:11434/v1");
  CHECK(parse_ollama_host(":11600")->str() == "http://127.0.0.1:11600/v1");
  CHECK(parse_ollama_host("localhost")->str() == "http://localhost:11434/v1");
  CHECK(parse_ollama_host("http://127.0.0.1:9999")->str() == "http://127.0.0.1:9999/v1");
  CHECK(parse_ollama_host("[::1]:11434")->str() == "http://[::1]:11434/v1");
  CHECK(parse_ollama_host("[::]:11434")->str() == "http://127.0.0.1:11434/v1");
  CHECK_FALSE(parse_ollama_host("ollama.example.com:11434"));
  CHECK_FALSE(parse_ollama_host("http://192.168.1.20:11434"));
  CHECK_FALSE(parse_ollama_host("127.0.0.1:notaport"));
}

TEST_CASE("local server URLs come from the defaults and the environment", "[upstream]") {
  ScopedEnv lm("AUTOSWARM_LMSTUDIO_URL", nullptr), ol("AUTOSWARM_OLLAMA_URL", nullptr),
      vl("AUTOSWARM_VLLM_URL", nullptr), host("OLLAMA_HOST", nullptr), key("OPENAI_API_KEY", nullptr);
  auto urls = [] {
    std::vector<std::string> out;
    for (const auto& [kind, url] : UpstreamOptions::from_environment().local_servers) {
      out.push_back(std::string(display_name(kind)) + " " + url.origin());
    }
    return out;
  };
  CHECK(urls() == std::vector<std::string>{"LM Studio http://127.0.0.1:1234",
                                           "Ollama http://127.0.0.1:11434",
                                           "vLLM http://127.0.0.1:8000"});
  CHECK(UpstreamOptions::from_environment().api_key.empty());

  SECTION("OLLAMA_HOST") {
    ScopedEnv set("OLLAMA_HOST", "0.0.0.0:11500");
    CHECK(urls().at(1) == "Ollama http://127.0.0.1:11500");
  }
  SECTION("a remote OLLAMA_HOST is not probed") {
    ScopedEnv set("OLLAMA_HOST", "gpu-box.example.com:11434");
    CHECK(urls().at(1) == "Ollama http://127.0.0.1:11434");
  }
  SECTION("the AUTOSWARM_* variables win") {
    ScopedEnv a("AUTOSWARM_LMSTUDIO_URL", "http://127.0.0.1:2001/v1");
    ScopedEnv b("AUTOSWARM_OLLAMA_URL", "http://127.0.0.1:2002");
    ScopedEnv c("AUTOSWARM_VLLM_URL", "http://127.0.0.1:2003");
    ScopedEnv d("OLLAMA_HOST", "127.0.0.1:2999");
    CHECK(urls() == std::vector<std::string>{"LM Studio http://127.0.0.1:2001",
                                             "Ollama http://127.0.0.1:2002",
                                             "vLLM http://127.0.0.1:2003"});
  }
  SECTION("a malformed AUTOSWARM_* URL names the variable") {
    ScopedEnv a("AUTOSWARM_VLLM_URL", "127.0.0.1:8000");
    CHECK_THROWS_WITH(UpstreamOptions::from_environment(), Catch::Contains("AUTOSWARM_VLLM_URL"));
  }
  SECTION("OPENAI_API_KEY") {
    ScopedEnv a("OPENAI_API_KEY", "sk-env");
    CHECK(UpstreamOptions::from_environment().api_key == "sk-env");
  }
}

TEST_CASE("detected servers are probed without the API key, and only one that asks for a key gets it",
          "[upstream]") {
  auto open_server = fake(Flavor::kLmStudio, {{"qwen2.5-7b-instruct", true}});
  FakeUpstream keyed(FakeUpstreamOptions{.flavor = Flavor::kVllm, .models = {{"served", true}}, .api_key = "sk-local-789"});
  auto options = local({{ServerKind::kLmStudio, BaseUrl::parse(open_server.url())},
                        {ServerKind::kVllm, BaseUrl::parse(keyed.url())}});
  options.api_key = "sk-local-789";

  std::vector<ServerStatus> findings;
  auto chosen = choose_upstream(options, &findings);
  REQUIRE(chosen);
  CHECK(chosen->kind == ServerKind::kLmStudio);
  CHECK(chosen->key.empty());  // the proxy will not forward the key to it either
  for (const auto& r : open_server.requests()) CHECK_FALSE(r["headers"].contains("Authorization"));

  REQUIRE(findings.size() == 2);
  CHECK(findings[1].wants_key);
  CHECK(findings[1].key_sent);
  CHECK(findings[1].usable());
  CHECK_THAT(findings[1].hints.back(), Catch::Contains("asked for an API key"));
  auto requests = keyed.requests();
  REQUIRE_FALSE(requests.empty());
  CHECK_FALSE(requests.front()["headers"].contains("Authorization"));
  CHECK(requests.back()["headers"]["Authorization"] == "Bearer sk-local-789");

  SECTION("the one that asked is chosen with the key when it is the only usable one") {
    open_server.set_models({});
    auto only = choose_upstream(options);
    REQUIRE(only);
    CHECK(only->kind == ServerKind::kVllm);
    CHECK(only->key == "sk-local-789");
  }
}
