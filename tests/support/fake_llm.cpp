// fake_llm: the fake upstream LLM server as a standalone process (perf scripts, manual use).
// Prints "fake_llm listening on http://127.0.0.1:<port>" once listening, serves until SIGINT or
// SIGTERM, then exits 0. See docs/fake_llm.md.
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "autoswarm/util/loopback.h"
#include "support/fake_upstream.h"

int main(int argc, char** argv) {
  using autoswarm::testing::FakeModel;
  using autoswarm::testing::FakeUpstream;
  using autoswarm::testing::FakeUpstreamOptions;

  CLI::App app{"fake_llm: a scriptable fake OpenAI-compatible LLM server (loopback only)"};
  std::string flavor = "openai";
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<std::string> models = {"fake-model"};
  std::vector<std::string> not_loaded;
  std::string script;
  std::string record;
  std::string api_key;
  int latency_ms = 0;
  bool native_apis = false;

  app.add_option("--flavor", flavor, "Server to imitate: openai, lmstudio, ollama or vllm")
      ->check(CLI::IsMember({"openai", "lmstudio", "ollama", "vllm"}));
  app.add_option("--host", host, "Loopback address to bind (127.x.x.x, ::1 or localhost)");
  app.add_option("--port", port, "Port to bind (0: an ephemeral port)")->check(CLI::Range(0, 65535));
  app.add_option("--models", models, "Comma-separated model ids")->delimiter(',');
  app.add_option("--not-loaded", not_loaded, "Comma-separated model ids installed but not loaded")->delimiter(',');
  app.add_option("--script", script, "YAML reply script")->check(CLI::ExistingFile);
  app.add_option("--record", record, "Append every request to this file as one JSON line");
  app.add_option("--api-key", api_key, "Require 'Authorization: Bearer KEY' on /v1/*");
  app.add_option("--latency-ms", latency_ms, "Delay before every chat/completions/embeddings answer")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--native-apis", native_apis, "Serve POST /v1/responses and /v1/messages natively (and /api/chat, /api/generate with --flavor ollama)");
  CLI11_PARSE(app, argc, argv);

  if (!autoswarm::util::is_loopback_host(host)) {
    std::cerr << "fake_llm: refusing to bind '" << host << "': only loopback addresses (127.x.x.x, ::1, localhost)\n";
    return 2;
  }

  FakeUpstreamOptions options;
  options.flavor = autoswarm::testing::parse_flavor(flavor);
  options.host = host;
  options.port = port;
  options.record_file = record;
  options.api_key = api_key;
  options.latency_ms = latency_ms;
  options.native_apis = native_apis;
  options.models.clear();
  auto is_not_loaded = [&](const std::string& id) {
    for (const auto& n : not_loaded) {
      if (n == id) return true;
    }
    return false;
  };
  for (const auto& id : models) {
    if (!id.empty()) options.models.push_back(FakeModel{id, !is_not_loaded(id)});
  }
  for (const auto& id : not_loaded) {
    bool known = false;
    for (const auto& m : options.models) known = known || m.id == id;
    if (!known && !id.empty()) options.models.push_back(FakeModel{id, false});
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and the
  // main thread alone receives them through sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    FakeUpstream fake(options);
    if (!script.empty()) fake.load_script(script);
    std::cout << "fake_llm listening on " << fake.url() << std::endl;

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    fake.stop();
  } catch (const std::exception& e) {
    std::cerr << "fake_llm: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
