// `autoswarm start` as a user runs it: the banner, a chat through it, Ctrl-C, and refusing to
// start without an upstream.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>

#include <future>
#include <thread>
#include <utility>

#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "support/background_process.h"
#include "support/fake_upstream.h"
#include "support/temp_dir.h"

using namespace autoswarm::testing;
using nlohmann::json;

namespace {

int port_from_banner(const std::string& line) {
  // "  listening  http://127.0.0.1:PORT/v1"
  auto colon = line.rfind(':');
  return std::stoi(line.substr(colon + 1));
}

}  // namespace

TEST_CASE("start serves until SIGINT, then exits 0 with the log written", "[cli][start]") {
  FakeUpstream fake({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
  TempDir home;
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream",
                          fake.url(), "--port", "0"});
  auto upstream_line = proc.wait_for_line("upstream");
  REQUIRE(upstream_line);
  CHECK_THAT(*upstream_line, Catch::Contains(fake.url() + "/v1"));
  auto model_line = proc.wait_for_line("model");
  REQUIRE(model_line);
  CHECK_THAT(*model_line, Catch::Contains("llama3:latest"));
  auto listen_line = proc.wait_for_line("listening");
  REQUIRE(listen_line);
  CHECK_THAT(*listen_line, Catch::Contains("http://127.0.0.1:"));
  auto data_line = proc.wait_for_line("data");
  REQUIRE(data_line);
  CHECK_THAT(*data_line, Catch::Contains(home.path().string()) && Catch::Contains("0 skills"));

  httplib::Client client("127.0.0.1", port_from_banner(*listen_line));
  auto res = client.Post("/v1/chat/completions",
                         R"({"messages":[{"role":"user","content":"ping"}]})", "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(json::parse(res->body)["choices"][0]["message"]["content"] == "echo: ping");

  proc.signal(SIGINT);
  CHECK(proc.wait() == 0);
  CHECK_THAT(proc.err(), Catch::Contains("POST /v1/chat/completions 200 model=llama3:latest"));
  size_t logs = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(home / "conversations")) ++logs;
  CHECK(logs == 1);
}

TEST_CASE("start lets an in-flight stream finish on SIGTERM", "[cli][start]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - reply: {content: "slow but complete"}
    stream: {chunk_size: 1}
    fault: {chunk_delay_ms: 30}
)");
  TempDir home;
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream",
                          fake.url(), "--port", "0"});
  auto listen_line = proc.wait_for_line("listening");
  REQUIRE(listen_line);
  std::string body;
  std::promise<void> under_way;
  std::thread sender([&] {
    httplib::Client client("127.0.0.1", port_from_banner(*listen_line));
    client.set_read_timeout(20, 0);
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.body = R"({"stream":true,"messages":[{"role":"user","content":"x"}]})";
    req.set_header("Content-Type", "application/json");
    bool first = true;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      body.append(data, n);
      if (std::exchange(first, false)) under_way.set_value();
      return true;
    };
    client.send(req);
    if (first) under_way.set_value();
  });
  // SIGTERM once the first event arrived: the stream is under way.
  const bool started = under_way.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  proc.signal(SIGTERM);
  sender.join();
  REQUIRE(started);
  CHECK(proc.wait() == 0);
  CHECK_THAT(body, Catch::EndsWith("data: [DONE]\n\n"));
  CHECK(body.find("error") == std::string::npos);
}

TEST_CASE("start without any usable upstream exits 1 with fixes", "[cli][start]") {
  TempDir home;
  // Point detection at a port nothing listens on (the fake, stopped).
  std::string dead;
  {
    FakeUpstream gone;
    dead = gone.url();
  }
  autoswarm::util::ProcessOptions o;
  o.timeout = std::chrono::seconds(20);
  o.env = {{"AUTOSWARM_LMSTUDIO_URL", dead}, {"AUTOSWARM_OLLAMA_URL", dead}, {"AUTOSWARM_VLLM_URL", dead}};
  auto r = autoswarm::util::run_process({AUTOSWARM_BINARY, "--home", home.path().string(), "start"}, o);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no usable LLM server"));
  CHECK_THAT(r.err, Catch::Contains("fix: ollama serve"));
  CHECK_THAT(r.err, Catch::Contains("fix: lms server start"));
  CHECK(r.out.empty());
}

TEST_CASE("start refuses a taken port with what to do", "[cli][start]") {
  FakeUpstream fake;
  FakeUpstream squatter;
  TempDir home;
  autoswarm::util::ProcessOptions o;
  o.timeout = std::chrono::seconds(20);
  auto r = autoswarm::util::run_process({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream",
                                         fake.url(), "--port", std::to_string(squatter.port())},
                                        o);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(squatter.port())));
  CHECK_THAT(r.err, Catch::Contains("--port"));
}

TEST_CASE("start reads the proxy key from --proxy-key-file and the upstream key from --api-key-file",
          "[cli][start]") {
  FakeUpstream fake({.flavor = Flavor::kOpenAI, .models = {{"gpt-4o-mini", true}}, .api_key = "sk-upstream-42"});
  TempDir home;
  autoswarm::util::write_file_atomic(home / "proxy.key", "client-key-7\n", 0600);
  autoswarm::util::write_file_atomic(home / "api.key", "  sk-upstream-42  \n", 0600);
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream", fake.url(),
                          "--port", "0", "--proxy-key-file", (home / "proxy.key").string(), "--api-key-file",
                          (home / "api.key").string()});
  auto listen_line = proc.wait_for_line("listening");
  REQUIRE(listen_line);
  httplib::Client client("127.0.0.1", port_from_banner(*listen_line));
  const std::string body = R"({"messages":[{"role":"user","content":"ping"}]})";
  auto without = client.Post("/v1/chat/completions", body, "application/json");
  REQUIRE(without);
  CHECK(without->status == 401);
  auto with = client.Post("/v1/chat/completions", {{"Authorization", "Bearer client-key-7"}}, body, "application/json");
  REQUIRE(with);
  CHECK(with->status == 200);
  CHECK(fake.requests().back()["headers"]["Authorization"] == "Bearer sk-upstream-42");
  proc.signal(SIGINT);
  CHECK(proc.wait() == 0);
  CHECK_THAT(proc.err(), !Catch::Contains("client-key-7") && !Catch::Contains("sk-upstream-42"));
}

TEST_CASE("start with an empty key file exits 2 naming the flag and the file", "[cli][start]") {
  TempDir home;
  autoswarm::util::write_file_atomic(home / "empty.key", "\n", 0600);
  auto r = autoswarm::util::run_process({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream",
                                         "http://127.0.0.1:9", "--proxy-key-file", (home / "empty.key").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--proxy-key-file: " + (home / "empty.key").string() + " is empty"));
}
