// `autoswarm doctor`: what is running, what `start` would use, and a copy-paste fix for every
// problem — the local LLM servers, the proxy port, the data directory, skills.yaml and docker.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/data_dir.h"

namespace autoswarm::upstream {

enum class CheckStatus { kOk, kWarning, kProblem };

// "ok", "warning", "problem".
const char* to_string(CheckStatus status);

// The outcome of one environment check (everything but the LLM servers).
struct Check {
  CheckStatus status = CheckStatus::kOk;
  std::string message;             // one line for the user
  std::vector<std::string> fixes;  // copy-paste commands
  std::vector<std::string> hints;  // advice that is not a command
  nlohmann::json details = nlohmann::json::object();  // facts for --json ("path", "port", ...)
};

struct DoctorOptions {
  UpstreamOptions upstream;             // servers to probe, --upstream, --model, the API key
  std::string proxy_host = "127.0.0.1";  // where `start` would listen
  int proxy_port = 8080;
  std::optional<std::string> home;      // --home
  std::string docker_program = "docker";
  std::chrono::milliseconds docker_timeout{5000};
};

struct DoctorReport {
  std::vector<ServerStatus> servers;  // the local ones in order, then the --upstream one
  Check proxy_port;
  Check data_dir;
  Check skills;
  Check docker;
  std::optional<Selection> selected;  // what `start` would use

  // Doctor passes (exit code 0) when there is an upstream to use.
  bool ok() const { return selected.has_value(); }
  // {"servers":[...],"proxy_port":{...},"data_dir":{...},"skills":{...},"docker":{...},
  //  "selected":{"url","model","server"}|null,"ok":bool}. Holds no API key.
  nlohmann::json to_json() const;
  // One block per server, then the checks, then the selection; fixes as "  fix: <command>".
  // ANSI colours (green ok, yellow warning, red problem) only when `color`.
  std::string render_text(bool color) const;
};

// Runs every probe and check, concurrently where they wait on the network or on docker.
// Throws only UsageError (a malformed --upstream); every other failure is a finding.
DoctorReport run_doctor(const DoctorOptions& options);

// The single checks, each never throwing.
// The port is free, served by an autoswarm proxy (its /health says "service":"autoswarm"),
// or taken by something else.
Check check_proxy_port(const std::string& host, int port, std::chrono::milliseconds timeout);
// The directory exists or can be created (mode 0700), and a file can be written in it.
Check check_data_dir(const util::DataDir& dir);
// skills.yaml, if present, parses; a malformed one is reported with its file:line.
Check check_skills(const std::filesystem::path& skills_file);
// `docker version` reaches a daemon (needed only for benchmark mode, so at worst a warning).
Check check_docker(const std::string& docker_program, std::chrono::milliseconds timeout);

}  // namespace autoswarm::upstream
