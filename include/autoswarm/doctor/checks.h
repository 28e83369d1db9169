// The environment checks of `autoswarm doctor` besides the LLM servers: the proxy port, the
// data directory, skills.yaml and docker. Each returns a finding with copy-paste fixes.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/util/data_dir.h"

namespace autoswarm::doctor {

enum class CheckStatus { kOk, kWarning, kProblem };

// "ok", "warning", "problem".
const char* to_string(CheckStatus status);

// The outcome of one environment check.
struct Check {
  CheckStatus status = CheckStatus::kOk;
  std::string message;             // one line for the user
  std::vector<std::string> fixes;  // copy-paste commands
  std::vector<std::string> hints;  // advice that is not a command
  nlohmann::json details = nlohmann::json::object();  // facts for --json ("path", "port", ...)
};

// The checks, each never throwing.
// The port is free, served by an autoswarm proxy (its /health says "service":"autoswarm"),
// or taken by something else.
Check check_proxy_port(const std::string& host, int port, std::chrono::milliseconds timeout);
// The directory exists or can be created (mode 0700), and a file can be written in it.
Check check_data_dir(const util::DataDir& dir);
// skills.yaml, if present, parses; a malformed one is reported with its file:line.
Check check_skills(const std::filesystem::path& skills_file);
// `docker version` reaches a daemon (needed only for benchmark mode, so at worst a warning).
Check check_docker(const std::string& docker_program, std::chrono::milliseconds timeout);

}  // namespace autoswarm::doctor
