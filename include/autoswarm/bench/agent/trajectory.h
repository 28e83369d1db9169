// The ATIF-v1.6 trajectory of one trial (agent/trajectory.json), built step by step as the agent
// runs: prompts, every model reply with its tool calls and their observations, token metrics.
//
//   {"schema_version": "ATIF-v1.6", "session_id", "agent": {name, version, model_name},
//    "steps": [{"step_id": 1, "timestamp", "source": "system"|"user"|"agent", "message",
//               "model_name", "reasoning_content", "tool_calls": [{tool_call_id, function_name,
//               arguments}], "observation": {"results": [{source_call_id, content}]},
//               "metrics": {prompt_tokens, completion_tokens, cached_tokens, cost_usd},
//               "extra": {"stage": "plan", ...}}],
//    "final_metrics": {total_prompt_tokens, total_completion_tokens, total_cached_tokens,
//                      total_cost_usd, total_steps, "extra": {"pipeline_topology", ...}}}
#pragma once

#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/agent/token_usage.h"
#include "autoswarm/llm/chat.h"

namespace autoswarm::bench {

class AtifTrajectory {
 public:
  AtifTrajectory(std::string session_id, std::string agent_name, std::string model_name);

  // Steps; `extra` (an object, or null for none) is stored as the step's "extra".
  void add_system(const std::string& message, const nlohmann::json& extra = nullptr);
  void add_user(const std::string& message, const nlohmann::json& extra = nullptr);
  // One model reply; returns its step index for add_observation.
  size_t add_agent(const llm::ChatResponse& reply, const std::string& model,
                   const TokenUsage& metrics, const nlohmann::json& extra = nullptr);
  // The result of one of that step's tool calls.
  void add_observation(size_t step, const std::string& tool_call_id, const std::string& content);

  size_t size() const;

  // The whole document. `final_extra` becomes final_metrics.extra.
  nlohmann::json to_json(const TokenUsage& total, const nlohmann::json& final_extra) const;

  // A random id in UUID form, for session_id.
  static std::string new_session_id();

 private:
  nlohmann::json& add_step(const char* source, const std::string& message,
                           const nlohmann::json& extra);

  mutable std::mutex mutex_;  // stages as tools and parallel branches may add steps concurrently
  std::string session_id_;
  std::string agent_name_;
  std::string model_name_;
  nlohmann::json steps_ = nlohmann::json::array();
};

}  // namespace autoswarm::bench
