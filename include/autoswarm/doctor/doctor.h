// `autoswarm doctor`: what is running, what `start` would use, and a copy-paste fix for every
// problem — the local LLM servers, the proxy port, the data directory, skills.yaml and docker.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/doctor/checks.h"
#include "autoswarm/upstream/local_servers.h"

namespace autoswarm::doctor {

struct DoctorOptions {
  upstream::UpstreamOptions upstream;    // servers to probe, --upstream, --model, the API key
  std::string proxy_host = "127.0.0.1";  // where `start` would listen
  int proxy_port = 8080;
  std::optional<std::string> home;       // --home
  std::string docker_program = "docker";
  std::chrono::milliseconds docker_timeout{5000};
};

struct DoctorReport {
  std::vector<upstream::ServerStatus> servers;  // the local ones in order, then the --upstream one
  Check proxy_port;
  Check data_dir;
  Check skills;
  Check docker;
  std::optional<llm::Endpoint> selected;  // what `start` would use

  // Doctor passes (exit code 0) when there is an upstream to use.
  bool ok() const { return selected.has_value(); }
  // {"servers":[...],"proxy_port":{...},"data_dir":{...},"skills":{...},"docker":{...},
  //  "selected":{"url","model","server","kind"}|null,"ok":bool}. Holds no API key.
  nlohmann::json to_json() const;
  // One block per server, then the checks, then the selection; fixes as "  fix: <command>".
  // ANSI colours (green ok, yellow warning, red problem) only when `color`.
  std::string render_text(bool color) const;
};

// Runs every probe and check, concurrently where they wait on the network or on docker.
// Throws only UsageError (a malformed --upstream); every other failure is a finding.
DoctorReport run_doctor(const DoctorOptions& options);

}  // namespace autoswarm::doctor
