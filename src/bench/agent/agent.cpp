// run_agent(): chooses the agent, times it, and writes its outputs.
#include "autoswarm/bench/agent/agent.h"

#include <cmath>

#include "../name_table.h"
#include "agents.h"
#include "prompts.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::bench {

namespace {

constexpr NameEntry<AgentKind> kAgentKindNames[] = {
    {AgentKind::kPipeline, "pipeline"},
    {AgentKind::kSingle, "single"},
    {AgentKind::kOracle, "oracle"},
    {AgentKind::kNop, "nop"},
};

constexpr NameEntry<AgentKind> kAgentNames[] = {
    {AgentKind::kPipeline, "autoswarm-pipeline"},
    {AgentKind::kSingle, "autoswarm-single"},
    {AgentKind::kOracle, "oracle"},
    {AgentKind::kNop, "nop"},
};

}  // namespace

std::optional<AgentKind> parse_agent_kind(std::string_view name) {
  return value_in(kAgentKindNames, name);
}

std::string to_string(AgentKind kind) { return std::string(name_in(kAgentKindNames, kind)); }

std::string agent_name(AgentKind kind) { return std::string(name_in(kAgentNames, kind)); }

bool needs_llm(AgentKind kind) { return kind == AgentKind::kPipeline || kind == AgentKind::kSingle; }

PipelineSpec single_agent_spec() {
  PipelineSpec spec;
  spec.file = "(single-agent baseline)";
  StageSpec stage;
  stage.id = "agent";
  stage.system_prompt = prompts::kSingleAgentSystemPrompt;
  stage.tools = builtin_tool_names();
  stage.max_turns = 30;
  spec.stages.push_back(stage);
  spec.max_total_turns = 30;
  return spec;
}

std::chrono::milliseconds agent_timeout(const AgentContext& ctx) {
  if (ctx.timeout) return *ctx.timeout;
  return std::chrono::milliseconds(std::llround(ctx.task.agent.timeout_sec * 1000.0));
}

AgentOutcome run_agent(AgentKind kind, const AgentContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  AgentOutcome outcome;
  switch (kind) {
    case AgentKind::kPipeline:
      if (!ctx.client || !ctx.spec) throw UsageError("the pipeline agent needs an LLM client and a spec");
      outcome = run_pipeline(*ctx.spec, ctx, agent_name(kind));
      break;
    case AgentKind::kSingle: {
      if (!ctx.client) throw UsageError("the single agent needs an LLM client");
      PipelineSpec spec = single_agent_spec();
      if (ctx.spec) spec.pricing = ctx.spec->pricing;
      outcome = run_pipeline(spec, ctx, agent_name(kind));
      break;
    }
    case AgentKind::kOracle: outcome = run_oracle(ctx); break;
    case AgentKind::kNop: outcome = run_nop(ctx); break;
  }
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return outcome;
}

void write_agent_outputs(const AgentOutcome& outcome, const TrialDir& trial) {
  auto text = [](const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  util::ensure_directory(trial.agent_dir(), kJobDirMode);
  util::write_file_atomic(trial.trajectory_file(), text(outcome.trajectory), kJobFileMode);
  util::write_file_atomic(trial.stage_traces_file(), text(outcome.stage_traces), kJobFileMode);
}

}  // namespace autoswarm::bench
