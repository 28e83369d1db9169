// `autoswarm doctor`: flags, then the report from doctor/doctor.h as text or one JSON object.
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/doctor/doctor.h"
#include "autoswarm/util/error.h"
#include "command.h"

namespace autoswarm::cli {
namespace {

struct DoctorFlags {
  std::optional<std::string> upstream;
  std::optional<std::string> model;
  std::optional<std::string> api_key;
  int port = 8080;
  std::string host = "127.0.0.1";
  bool json = false;
  int timeout_ms = 1000;
};

// Containers that killed bench runs left behind, removed; nothing when docker is not there or
// does not answer in a few seconds (doctor is about the proxy first).
bench::OrphanSweep sweep_leftover_containers() {
  constexpr auto kDockerTimeout = std::chrono::seconds(5);
  try {
    bench::DockerCli docker;
    docker.ping(kDockerTimeout);
    return bench::remove_orphaned_containers(docker, kDockerTimeout);
  } catch (const Error& e) {
    spdlog::debug("not looking for leftover bench containers: {}", e.what());
    return {};
  }
}

}  // namespace

Runner configure_doctor(CLI::App& app) {
  auto flags = std::make_shared<DoctorFlags>();
  app.add_option("--upstream", flags->upstream,
                 "Use this OpenAI-compatible URL as the upstream, as `start --upstream` would "
                 "(the local servers are still shown)");
  app.add_option("--model", flags->model, "The model to use instead of the detected default");
  app.add_option("--api-key", flags->api_key,
                 "API key for the upstream (default: env OPENAI_API_KEY, which keeps it out of ps)");
  app.add_option("--port", flags->port, "Proxy port to check")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--host", flags->host, "Proxy address to check")->capture_default_str();
  app.add_flag("--json", flags->json, "Print the findings as one JSON object");
  app.add_option("--timeout-ms", flags->timeout_ms, "Timeout of each server probe")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();

  return [flags](const GlobalOptions& global) {
    doctor::DoctorOptions options;
    options.upstream = upstream::UpstreamOptions::from_environment();
    options.upstream.upstream_url = flags->upstream;
    options.upstream.model = flags->model;
    if (flags->api_key) options.upstream.api_key = *flags->api_key;
    options.upstream.probe_timeout = std::chrono::milliseconds(flags->timeout_ms);
    options.proxy_host = flags->host;
    options.proxy_port = flags->port;
    options.home = global.home;

    doctor::DoctorReport report = doctor::run_doctor(options);
    bench::OrphanSweep sweep = sweep_leftover_containers();
    if (flags->json) {
      nlohmann::json out = report.to_json();
      out["leftover_containers_removed"] = sweep.removed;
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << report.render_text(global.color);
      if (!sweep.message().empty()) std::cout << "bench: " << sweep.message() << "\n";
    }
    return report.ok() ? 0 : 1;
  };
}

}  // namespace autoswarm::cli
