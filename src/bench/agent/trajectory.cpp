// Builds the ATIF-v1.6 trajectory document step by step.
#include "autoswarm/bench/agent/trajectory.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "autoswarm/util/utc_time.h"
#include "autoswarm/version.h"

namespace autoswarm::bench {

using nlohmann::json;

std::string AtifTrajectory::new_session_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uint64_t a = gen(), b = gen();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

AtifTrajectory::AtifTrajectory(std::string session_id, std::string agent_name,
                               std::string model_name)
    : session_id_(session_id.empty() ? new_session_id() : std::move(session_id)),
      agent_name_(std::move(agent_name)),
      model_name_(std::move(model_name)) {}

json& AtifTrajectory::add_step(const char* source, const std::string& message, const json& extra) {
  json step = {{"step_id", steps_.size() + 1},
               {"timestamp", util::utc_timestamp_ms()},
               {"source", source},
               {"message", message}};
  if (extra.is_object() && !extra.empty()) step["extra"] = extra;
  steps_.push_back(std::move(step));
  return steps_.back();
}

void AtifTrajectory::add_system(const std::string& message, const json& extra) {
  std::lock_guard lock(mutex_);
  add_step("system", message, extra);
}

void AtifTrajectory::add_user(const std::string& message, const json& extra) {
  std::lock_guard lock(mutex_);
  add_step("user", message, extra);
}

size_t AtifTrajectory::add_agent(const llm::ChatResponse& reply, const std::string& model,
                                 const TokenUsage& metrics, const json& extra) {
  std::lock_guard lock(mutex_);
  json& step = add_step("agent", reply.content, extra);
  step["model_name"] = model.empty() ? reply.model : model;
  if (!reply.reasoning_content.empty()) step["reasoning_content"] = reply.reasoning_content;
  if (!reply.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& call : reply.tool_calls) {
      json arguments = call.arguments_ok() && call.parsed_arguments.is_object()
                           ? call.parsed_arguments
                           : json{{"_raw_arguments", call.arguments}};
      calls.push_back(
          {{"tool_call_id", call.id}, {"function_name", call.name}, {"arguments", arguments}});
    }
    step["tool_calls"] = std::move(calls);
    step["observation"] = {{"results", json::array()}};
  }
  step["metrics"] = {{"prompt_tokens", metrics.prompt_tokens},
                     {"completion_tokens", metrics.completion_tokens},
                     {"cached_tokens", metrics.cached_tokens},
                     {"cost_usd", metrics.cost_usd}};
  return steps_.size() - 1;
}

void AtifTrajectory::add_observation(size_t step, const std::string& tool_call_id,
                                     const std::string& content) {
  std::lock_guard lock(mutex_);
  json& s = steps_.at(step);
  if (!s.contains("observation")) s["observation"] = {{"results", json::array()}};
  s["observation"]["results"].push_back({{"source_call_id", tool_call_id}, {"content", content}});
}

size_t AtifTrajectory::size() const {
  std::lock_guard lock(mutex_);
  return steps_.size();
}

json AtifTrajectory::to_json(const TokenUsage& total, const json& final_extra) const {
  std::lock_guard lock(mutex_);
  json final_metrics = {{"total_prompt_tokens", total.prompt_tokens},
                        {"total_completion_tokens", total.completion_tokens},
                        {"total_cached_tokens", total.cached_tokens},
                        {"total_cost_usd", total.cost_usd},
                        {"total_steps", steps_.size()}};
  if (final_extra.is_object()) final_metrics["extra"] = final_extra;
  return {{"schema_version", "ATIF-v1.6"},
          {"session_id", session_id_},
          {"agent", {{"name", agent_name_}, {"version", kVersion}, {"model_name", model_name_}}},
          {"steps", steps_},
          {"final_metrics", std::move(final_metrics)}};
}

}  // namespace autoswarm::bench
