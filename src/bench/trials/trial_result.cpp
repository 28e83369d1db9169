// A trial's result.json (Harbor's TrialResult), written and read back.
#include "autoswarm/bench/trials/trial.h"

#include "autoswarm/util/json.h"
#include "autoswarm/version.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json timing_json(const std::optional<PhaseTiming>& t) {
  if (!t) return nullptr;
  return {{"started_at", t->started_at}, {"finished_at", t->finished_at}};
}

int64_t integer_at(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

std::optional<PhaseTiming> timing_from(const json& j, const char* key) {
  const json& t = util::object_field(j, key);
  if (t.empty()) return std::nullopt;
  return PhaseTiming{util::string_field(t, "started_at"), util::string_field(t, "finished_at")};
}

}  // namespace

double TrialResult::reward() const { return reward_of(rewards); }

bool TrialResult::passed() const { return is_passing_reward(reward()); }

json TrialResult::to_json() const {
  json model_info = nullptr;
  if (!model_name.empty()) {
    model_info = {{"name", model_name},
                  {"provider", model_provider.empty() ? json(nullptr) : json(model_provider)}};
  }
  json exception_info = nullptr;
  if (error) {
    exception_info = {{"exception_type", to_string(error->type)},
                      {"exception_message", error->message},
                      {"exception_traceback", ""},
                      {"occurred_at", error->occurred_at}};
  }
  auto optional_text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return {
      {"id", id},
      {"task_name", task_name},
      {"trial_name", trial_name},
      {"trial_uri",
       trial_dir.empty() ? "" : "file://" + fs::absolute(trial_dir).lexically_normal().string()},
      {"task_id",
       {{"path", task_dir.empty() ? "" : fs::absolute(task_dir).lexically_normal().string()}}},
      {"source", optional_text(source)},
      {"task_checksum", task_checksum},
      {"config", config.is_object() ? config : json::object()},
      {"agent_info", {{"name", agent_name}, {"version", kVersion}, {"model_info", model_info}}},
      {"agent_result",
       {{"n_input_tokens", usage.prompt_tokens},
        {"n_cache_tokens", usage.cached_tokens},
        {"n_output_tokens", usage.completion_tokens},
        {"cost_usd", usage.cost_usd},
        {"rollout_details", nullptr},
        {"metadata", {{"turns", turns}, {"pipeline_topology", topology}}}}},
      {"verifier_result", rewards.is_null() ? json(nullptr) : json{{"rewards", rewards}}},
      {"verifier_environment_mode", nullptr},
      {"exception_info", exception_info},
      {"started_at", optional_text(started_at)},
      {"finished_at", optional_text(finished_at)},
      {"environment_setup", timing_json(environment_setup)},
      {"agent_setup", nullptr},
      {"agent_execution", timing_json(agent_execution)},
      {"verifier", timing_json(verifier)},
      {"step_results", nullptr},
  };
}

std::optional<TrialResult> TrialResult::from_json(const json& j, const TrialDir& trial) {
  if (!j.is_object()) return std::nullopt;
  TrialResult r;
  r.task_name = util::string_field(j, "task_name");
  r.finished_at = util::string_field(j, "finished_at");
  if (r.task_name.empty() || r.finished_at.empty()) return std::nullopt;
  r.id = util::string_field(j, "id");
  r.trial_name = trial.name();
  r.trial_dir = trial.path();
  r.source = util::string_field(j, "source");
  r.task_checksum = util::string_field(j, "task_checksum");
  r.config = util::object_field(j, "config");
  r.task_dir = util::string_field(util::object_field(j, "task_id"), "path");
  const json& agent = util::object_field(j, "agent_info");
  r.agent_name = util::string_field(agent, "name");
  r.model_name = util::string_field(util::object_field(agent, "model_info"), "name");
  r.model_provider = util::string_field(util::object_field(agent, "model_info"), "provider");
  const json& result = util::object_field(j, "agent_result");
  r.usage.prompt_tokens = integer_at(result, "n_input_tokens");
  r.usage.cached_tokens = integer_at(result, "n_cache_tokens");
  r.usage.completion_tokens = integer_at(result, "n_output_tokens");
  r.usage.cost_usd = result.contains("cost_usd") && result["cost_usd"].is_number() ? result["cost_usd"].get<double>() : 0.0;
  const json& metadata = util::object_field(result, "metadata");
  r.turns = static_cast<int>(integer_at(metadata, "turns"));
  r.topology = util::string_field(metadata, "pipeline_topology");
  const json& verifier = util::object_field(j, "verifier_result");
  if (verifier.contains("rewards") && verifier["rewards"].is_object()) r.rewards = verifier["rewards"];
  const json& exception = util::object_field(j, "exception_info");
  if (!exception.empty()) {
    std::string type = util::string_field(exception, "exception_type");
    r.error = TrialError{parse_trial_error_type(type).value_or(TrialErrorType::kInternal),
                         util::string_field(exception, "exception_message"),
                         util::string_field(exception, "occurred_at")};
  }
  r.started_at = util::string_field(j, "started_at");
  r.environment_setup = timing_from(j, "environment_setup");
  r.agent_execution = timing_from(j, "agent_execution");
  r.verifier = timing_from(j, "verifier");
  return r;
}

}  // namespace autoswarm::bench
