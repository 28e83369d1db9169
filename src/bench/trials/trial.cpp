#include "autoswarm/bench/trials/trial.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <memory>

#include "autoswarm/bench/trials/docker_environment.h"
#include "autoswarm/bench/trials/task_image.h"
#include "autoswarm/bench/agent/trajectory.h"
#include "autoswarm/bench/trials/verifier.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;


// One exec readies the container: /task/instruction.md from stdin, /logs/agent and
// /logs/verifier writable by any task user, and the working directory (the image's WORKDIR)
// printed for the agent's relative paths.
constexpr const char* kPrepareTrialScript =
    "mkdir -p /task /logs/agent /logs/verifier && chmod 777 /logs /logs/agent /logs/verifier && "
    "cat > /task/instruction.md && pwd";

void write(const fs::path& path, const std::string& content) {
  util::write_file_atomic(path, content, kJobFileMode);
}

// Raised inside run_trial to end it early with a named error.
struct TrialFailure {
  TrialErrorType type;
  std::string message;
};

// Copies what the agent left in /logs/agent into the trial's agent/ directory. Every file lands
// with a rename, so a reader never sees half of one. Links and special files stay behind
// (Environment::copy_out), each named in a warning.
void collect_agent_logs(Environment& env, const TrialDir& trial, const std::string& task_name) {
  fs::path staging = trial.agent_logs_staging_dir();
  fs::remove_all(staging);
  util::ensure_directory(staging, kJobDirMode);
  for (const std::string& skipped : env.copy_out("/logs/agent/.", staging)) {
    spdlog::warn("{}: not copying /logs/agent/{} out of the container: only regular files are",
                 task_name, skipped);
  }
  for (const auto& entry : fs::directory_iterator(staging)) {
    fs::path target = trial.agent_dir() / entry.path().filename();
    if (fs::is_directory(target)) fs::remove_all(target);
    fs::rename(entry.path(), target);
  }
  fs::remove_all(staging);
}

}  // namespace

json environment_config_json(const json& kwargs) {
  return {{"type", "docker"},
          {"import_path", nullptr},
          {"force_build", false},
          {"delete", true},
          {"override_cpus", nullptr},
          {"override_memory_mb", nullptr},
          {"override_storage_mb", nullptr},
          {"override_gpus", nullptr},
          {"kwargs", kwargs},
          {"env", json::object()}};
}

json verifier_config_json() {
  return {{"override_timeout_sec", nullptr},
          {"max_timeout_sec", nullptr},
          {"env", json::object()},
          {"disable", false}};
}

json trial_config_json(const Task& task, const TrialSettings& settings, const TrialDir& trial) {
  json model = needs_llm(settings.agent) && !settings.model.empty() ? json(settings.model) : json(nullptr);
  return {
      {"task",
       {{"path", fs::absolute(task.dir).lexically_normal().string()},
        {"git_url", nullptr},
        {"git_commit_id", nullptr},
        {"name", nullptr},
        {"ref", nullptr},
        {"overwrite", false},
        {"download_dir", nullptr},
        {"source", settings.source.empty() ? json(nullptr) : json(settings.source)}}},
      {"trial_name", trial.name()},
      {"trials_dir", fs::absolute(trial.path().parent_path()).lexically_normal().string()},
      {"timeout_multiplier", settings.timeout_multiplier},
      {"agent",
       {{"name", to_string(settings.agent)},
        {"import_path", nullptr},
        {"model_name", model},
        {"override_timeout_sec", nullptr},
        {"override_setup_timeout_sec", nullptr},
        {"max_timeout_sec", nullptr},
        {"kwargs", json::object()},
        {"env", json::object()}}},
      {"environment", environment_config_json({{"labels", settings.labels}})},
      {"verifier", verifier_config_json()},
      {"artifacts", json::array()},
      {"job_id", settings.job_id.empty() ? json(nullptr) : json(settings.job_id)},
  };
}

TrialResult run_trial(const Task& task, const TrialSettings& settings, const TrialDir& trial) {
  const auto clock_start = std::chrono::steady_clock::now();
  TrialResult result;
  result.id = new_uuid();
  result.task_name = task.name;
  result.trial_name = trial.name();
  result.source = settings.source;
  result.config = trial_config_json(task, settings, trial);
  result.trial_dir = trial.path();
  result.task_dir = task.dir;
  result.agent_name = agent_name(settings.agent);  // also for a trial that fails before the agent
  if (needs_llm(settings.agent)) {
    result.model_name = settings.model;
    result.model_provider = settings.model_provider;
  }
  result.started_at = util::utc_timestamp_ms();

  util::ensure_directory(trial.agent_dir(), kJobDirMode);
  util::ensure_directory(trial.verifier_dir(), kJobDirMode);
  write(trial.instruction_file(), task.instruction);
  write(trial.config_file(), result.config.dump(2) + "\n");
  try {
    result.task_checksum = directory_content_hash(task.dir);
  } catch (const std::exception& e) {
    spdlog::warn("{}: cannot hash the task directory for task_checksum: {}", task.name, e.what());
  }

  auto cancelled = [&] { return settings.cancel != nullptr && settings.cancel->load(); };
  std::string phase = "environment_setup";
  std::unique_ptr<Environment> env;
  try {
    if (cancelled()) throw TrialFailure{TrialErrorType::kCancelled, "the run was interrupted"};
    // 1. Image and container.
    result.environment_setup = PhaseTiming{util::utc_timestamp_ms(), ""};
    std::string image;
    try {
      const ImageOptions image_options{.network = settings.build_network, .cancel = settings.cancel};
      image = settings.environment.build_image
                  ? settings.environment.build_image(task, image_options)
                  : ensure_task_image(settings.docker, task, image_options);
    } catch (const DockerError& e) {
      throw TrialFailure{TrialErrorType::kEnvironmentBuild, e.what()};
    } catch (const FileError& e) {
      throw TrialFailure{TrialErrorType::kEnvironmentBuild, e.what()};
    }
    if (cancelled()) throw TrialFailure{TrialErrorType::kCancelled, "the run was interrupted"};
    ContainerOptions container{
        .image = image,
        .cpus = task.environment.cpus,
        .memory_mb = task.environment.memory_mb,
        .gpus = task.environment.gpus,
        .pids_limit = settings.pids_limit,
        .drop_capabilities = settings.drop_capabilities,
        .cap_add = settings.drop_capabilities ? default_capabilities() : std::vector<std::string>{},
        .network = task.environment.allow_internet && settings.allow_internet,
        .labels = settings.labels,
        .env = expand_env(task.environment.env, settings.env_lookup),
        .name_hint = result.trial_name,
        .cancel = settings.cancel,
    };
    container.labels["autoswarm.task"] = task.name;
    container.cap_add.insert(container.cap_add.end(), settings.extra_capabilities.begin(),
                             settings.extra_capabilities.end());
    try {
      env = settings.environment.start ? settings.environment.start(container)
                                       : std::make_unique<DockerEnvironment>(settings.docker, container);
    } catch (const DockerError& e) {
      throw TrialFailure{TrialErrorType::kEnvironmentStart, e.what()};
    }
    ExecResult prep = env->exec({"sh", "-c", kPrepareTrialScript}, seconds(60), task.instruction);
    if (prep.exit_code != 0) {
      throw TrialFailure{TrialErrorType::kEnvironmentStart,
                         "preparing /task and /logs in " + env->describe() + ": " + prep.err};
    }
    std::string workdir = prep.out.substr(0, prep.out.find('\n'));
    if (workdir.empty()) workdir = "/";
    result.environment_setup->finished_at = util::utc_timestamp_ms();

    // 2. The agent.
    if (cancelled()) throw TrialFailure{TrialErrorType::kCancelled, "the run was interrupted"};
    phase = "agent_execution";
    result.agent_execution = PhaseTiming{util::utc_timestamp_ms(), ""};
    env->set_user(task.agent.user);
    AgentContext ctx{.task = task,
                     .env = *env,
                     .client = settings.client,
                     .spec = settings.spec,
                     .model = settings.model,
                     .timeout = std::nullopt,
                     .cancel = settings.cancel,
                     .workdir = workdir,
                     .tools = nullptr,
                     .env_lookup = settings.env_lookup,
                     .session_id = ""};
    AgentOutcome outcome = run_agent(settings.agent, ctx);
    result.agent_execution->finished_at = util::utc_timestamp_ms();
    result.agent_name = outcome.agent_name;
    result.usage = outcome.total;
    result.turns = outcome.turns;
    result.topology = outcome.topology;
    env->set_user("");
    try {
      collect_agent_logs(*env, trial, task.name);
    } catch (const Error& e) {
      spdlog::warn("{}: could not collect /logs/agent: {}", task.name, e.what());
    }
    write_agent_outputs(outcome, trial);
    if (outcome.error) throw TrialFailure{outcome.error->type, outcome.error->message};

    // 3. The verifier.
    if (cancelled()) throw TrialFailure{TrialErrorType::kCancelled, "the run was interrupted"};
    phase = "verifier";
    result.verifier = PhaseTiming{util::utc_timestamp_ms(), ""};
    VerifierOptions vopts{.env_lookup = settings.env_lookup,
                          .before_tests = [&] { env->set_user(task.verifier.user); }};
    VerifierOutcome verdict = run_verifier(*env, task, vopts);
    result.verifier->finished_at = util::utc_timestamp_ms();
    write(trial.test_output_file(), verdict.test_output);
    // Only the files the tests wrote: nothing is made up.
    if (verdict.reward_json) write(trial.reward_json_file(), *verdict.reward_json);
    if (!verdict.reward_txt.empty()) write(trial.reward_txt_file(), verdict.reward_txt);
    if (!verdict.rewards.is_null()) result.rewards = verdict.rewards;
    if (verdict.error_type) throw TrialFailure{*verdict.error_type, verdict.error_message};
  } catch (const TrialFailure& f) {
    bool interrupted = cancelled() && f.type != TrialErrorType::kAgentTimeout;
    result.error = TrialError{interrupted ? TrialErrorType::kCancelled : f.type,
                              interrupted ? "the run was interrupted" : f.message, util::utc_timestamp_ms()};
  } catch (const Error& e) {
    // The container vanished, docker failed, or the run is being interrupted.
    result.error = TrialError{cancelled() ? TrialErrorType::kCancelled : TrialErrorType::kEnvironment,
                              std::string(e.what()) + " (during " + phase + ")", util::utc_timestamp_ms()};
  } catch (const std::exception& e) {
    result.error = TrialError{TrialErrorType::kInternal,
                              std::string(e.what()) + " (during " + phase + "; please report this)",
                              util::utc_timestamp_ms()};
  }
  env.reset();  // removes the container (DockerEnvironment::remove never throws)
  for (auto* t : {&result.environment_setup, &result.agent_execution, &result.verifier}) {
    if (*t && (*t)->finished_at.empty()) (*t)->finished_at = util::utc_timestamp_ms();
  }
  result.finished_at = util::utc_timestamp_ms();
  result.duration_sec =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  if (result.error) {
    write(trial.exception_file(), to_string(result.error->type) + ": " + result.error->message + "\n");
    spdlog::debug("{}: {}: {}", task.name, to_string(result.error->type), result.error->message);
  }
  write(trial.result_file(), result.to_json().dump(2) + "\n");
  return result;
}

}  // namespace autoswarm::bench
