// One trial of one task as `bench run` runs it: image, container, agent, verifier, and the
// trial directory Harbor users know (result.json, agent/, verifier/; see job_dir.h). The
// environment is always removed, whatever happens.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/trial_error_type.h"
#include "autoswarm/bench/trials/docker_cli.h"
#include "autoswarm/bench/trials/docker_environment.h"
#include "autoswarm/bench/trials/task_image.h"
#include "autoswarm/bench/spec/task.h"
#include "autoswarm/bench/agent/token_usage.h"

namespace autoswarm::bench {

// What made a trial fail: its type, named as Harbor names it in result.json (AgentTimeoutError,
// RewardFileNotFoundError, VerifierTimeoutError, EnvironmentBuildError, CancelledError, ...).
struct TrialError {
  TrialErrorType type;
  std::string message;
  std::string occurred_at;  // ISO-8601
};

struct PhaseTiming {
  std::string started_at;
  std::string finished_at;
};

// Harbor's TrialResult (models/trial/result.py), what result.json holds; AutoSwarm's own numbers
// ride in agent_result.metadata (an open map in Harbor's AgentContext).
struct TrialResult {
  std::string id;                     // a UUID
  std::string task_name;
  std::string trial_name;             // the trial directory's name, <task[:32]>__<7 chars>
  std::string source;                 // the dataset: the tasks directory's name ("" : adhoc)
  std::string task_checksum;          // directory_content_hash of the task directory
  nlohmann::json config;              // Harbor's TrialConfig, as in the trial's config.json
  std::filesystem::path trial_dir;
  std::filesystem::path task_dir;
  std::string agent_name;             // "autoswarm-pipeline", "oracle", ...
  std::string model_name;             // "" for oracle / nop
  std::string model_provider;
  TokenUsage usage;
  int turns = 0;
  std::string topology;               // as executed
  nlohmann::json rewards;             // {"reward": 1.0, ...}; null when none was read
  std::optional<TrialError> error;
  std::string started_at, finished_at;
  std::optional<PhaseTiming> environment_setup, agent_execution, verifier;
  double duration_sec = 0;

  double reward() const;              // reward_of(rewards) (job_dir.h)
  bool passed() const;                // reward() == 1 (the task fully solved)
  nlohmann::json to_json() const;     // Harbor's TrialResult, for result.json
  // A result.json read back (bench resume), in the trial directory `trial`; nullopt unless it
  // is an object naming its task_name and finished_at (what every written one does). Fields
  // to_json has no place for (duration_sec) stay 0; an exception_type Harbor does not name
  // reads as InternalError.
  static std::optional<TrialResult> from_json(const nlohmann::json& j, const TrialDir& trial);
};

// Where a trial's environment comes from. An empty function means docker: ensure_task_image()
// builds or pulls the task's image, and a DockerEnvironment runs it. Unit tests put a
// FakeEnvironment here (tests/support/fake_environment.h), so a whole trial runs without docker.
struct EnvironmentFactory {
  // The image to run the task in. Throws DockerError or FileError: the trial's
  // EnvironmentBuildError.
  std::function<std::string(const Task&, const ImageOptions&)> build_image;
  // The environment, started from `options.image`. Throws DockerError: the trial's
  // EnvironmentStartError.
  std::function<std::unique_ptr<Environment>(const ContainerOptions& options)> start;

  // Whether trials need the docker daemon: either function left empty.
  bool uses_docker() const { return !build_image || !start; }
};

// What every trial of a job shares.
struct TrialSettings {
  DockerCli docker;
  EnvironmentFactory environment;     // empty: docker, through `docker`
  AgentKind agent = AgentKind::kPipeline;
  llm::Client* client = nullptr;      // pipeline and single
  const PipelineSpec* spec = nullptr;
  std::string model;
  std::string model_provider;
  bool allow_internet = false;        // --allow-internet: tasks with allow_internet get a network
  bool build_network = true;          // false: docker build --network none (no bridge)
  std::map<std::string, std::string> labels;  // on every container (kJobLabel, the run's id)
  int64_t pids_limit = kDefaultPidsLimit;     // --pids-limit (<= 0: none)
  bool drop_capabilities = true;              // false: --no-cap-drop (Docker's default set)
  std::vector<std::string> extra_capabilities;  // --cap-add, on top of default_capabilities()
  EnvMap env_lookup;                  // --env-file, for ${VAR} in task.toml env tables
  const std::atomic<bool>* cancel = nullptr;
  std::string job_id;                 // the job's UUID, in each TrialConfig
  std::string source;                 // the dataset's name ("" : adhoc)
  double timeout_multiplier = 1.0;    // in each TrialConfig
};

// Harbor's EnvironmentConfig (type docker, no overrides; `kwargs` as given) and VerifierConfig
// (the defaults), shared by the job's and every trial's config.json.
nlohmann::json environment_config_json(const nlohmann::json& kwargs);
nlohmann::json verifier_config_json();

// Harbor's TrialConfig (models/trial/config.py) for a trial of `task` in `trial`: the task by
// path (never also by name), the agent with model_name null when it has none.
nlohmann::json trial_config_json(const Task& task, const TrialSettings& settings,
                                 const TrialDir& trial);

// Runs the trial and writes `trial` (created; every file written atomically). Never throws
// for what happens inside the trial: that is the result's error. Throws FileError only when the
// trial directory cannot be written.
TrialResult run_trial(const Task& task, const TrialSettings& settings, const TrialDir& trial);

}  // namespace autoswarm::bench
