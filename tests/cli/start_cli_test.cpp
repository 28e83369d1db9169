// `autoswarm start` as a user runs it: the banner, a chat through it, Ctrl-C, and refusing to
// start without an upstream.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>

#include <future>
#include <thread>
#include <utility>

#include "autoswarm/conversations/conversation_files.h"
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
  autoswarm::conversations::for_each_record(home / "conversations", [&](auto&) { ++logs; });
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

TEST_CASE("start with a named upstream that is down still starts, answers 502, and recovers when it comes up",
          "[cli][start]") {
  int port = 0;
  {
    FakeUpstream gone;
    port = gone.port();
  }
  TempDir home;
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream",
                          "http://127.0.0.1:" + std::to_string(port), "--model", "m1", "--port", "0"});
  auto listen_line = proc.wait_for_line("listening");
  REQUIRE(listen_line);
  httplib::Client client("127.0.0.1", port_from_banner(*listen_line));
  const std::string body = R"({"messages":[{"role":"user","content":"ping"}]})";
  auto down = client.Post("/v1/chat/completions", body, "application/json");
  REQUIRE(down);
  CHECK(down->status == 502);
  CHECK_THAT(down->body, Catch::Contains("autoswarm doctor"));
  auto health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(json::parse(health->body)["status"] == "upstream_unreachable");

  FakeUpstream fake({.models = {{"m1", true}}, .port = port});
  auto up = client.Post("/v1/chat/completions", body, "application/json");
  REQUIRE(up);
  CHECK(up->status == 200);
  CHECK(fake.requests().back()["body"]["model"] == "m1");
  proc.signal(SIGINT);
  CHECK(proc.wait() == 0);
  CHECK_THAT(proc.err(), Catch::Contains("warning: the upstream is not usable now") &&
                             Catch::Contains("starting anyway"));
}

TEST_CASE("start --wait keeps looking for a local server and starts once one appears", "[cli][start]") {
  int port = 0;
  {
    FakeUpstream gone;
    port = gone.port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  TempDir home;
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--wait", "--port", "0"},
                         {{"AUTOSWARM_LMSTUDIO_URL", url}, {"AUTOSWARM_OLLAMA_URL", url}, {"AUTOSWARM_VLLM_URL", url}});
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // a probe round or two fails first
  FakeUpstream fake({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}, .port = port});
  auto listen_line = proc.wait_for_line("listening", std::chrono::seconds(15));
  REQUIRE(listen_line);
  proc.signal(SIGINT);
  CHECK(proc.wait() == 0);
  CHECK_THAT(proc.err(), Catch::Contains("waiting for an LLM server") && Catch::Contains("Ctrl-C stops"));
}

TEST_CASE("start --wait stops waiting on Ctrl-C", "[cli][start]") {
  const std::string dead = "http://127.0.0.1:9";
  TempDir home;
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--wait", "--port", "0"},
                         {{"AUTOSWARM_LMSTUDIO_URL", dead}, {"AUTOSWARM_OLLAMA_URL", dead}, {"AUTOSWARM_VLLM_URL", dead}});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  proc.signal(SIGINT);
  CHECK(proc.wait(std::chrono::seconds(5)) == 130);
}

TEST_CASE("start --alias sends a hard-coded model name to the named model and shows it in the banner",
          "[cli][start]") {
  FakeUpstream fake({.models = {{"qwen2.5-coder:7b", true}, {"llama3:latest", true}}});
  TempDir home;
  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream", fake.url(),
                          "--port", "0", "--alias", "gpt-3.5-turbo=qwen2.5-coder:7b", "--model", "llama3:latest"});
  auto alias_line = proc.wait_for_line("aliases");
  REQUIRE(alias_line);
  CHECK_THAT(*alias_line, Catch::Contains("gpt-3.5-turbo → qwen2.5-coder:7b"));
  auto listen_line = proc.wait_for_line("listening");
  REQUIRE(listen_line);
  httplib::Client client("127.0.0.1", port_from_banner(*listen_line));
  auto res = client.Post("/v1/chat/completions",
                         R"({"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"ping"}]})",
                         "application/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(fake.requests().back()["body"]["model"] == "qwen2.5-coder:7b");
  proc.signal(SIGINT);
  CHECK(proc.wait() == 0);
}

TEST_CASE("start refuses a malformed --alias with exit 2 and warns when --model is not served", "[cli][start]") {
  FakeUpstream fake({.models = {{"llama3:latest", true}}});
  TempDir home;
  auto bad = autoswarm::util::run_process(
      {AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream", fake.url(), "--alias", "gpt-4o"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--alias 'gpt-4o': write NAME=MODEL"));

  BackgroundProcess proc({AUTOSWARM_BINARY, "--home", home.path().string(), "start", "--upstream", fake.url(),
                          "--port", "0", "--model", "mistral"});
  REQUIRE(proc.wait_for_line("listening"));
  proc.signal(SIGINT);
  CHECK(proc.wait() == 0);
  CHECK_THAT(proc.err(), Catch::Contains("warning: --model mistral is not among the models") &&
                             Catch::Contains("llama3:latest"));
}
