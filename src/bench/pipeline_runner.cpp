// Runs the stages of a pipeline in order: each stage an AgentLoop, its output handed to the
// stages after it through the HandoffPolicy; records the ATIF trajectory and stage traces.
//
// Context: stage k sees one section per earlier stage ("=== plan ===\n<handed-off output>"),
// each as its handoff made it when that stage finished.
#include <spdlog/spdlog.h>

#include "agents.h"
#include "autoswarm/bench/agent_loop.h"
#include "autoswarm/bench/handoff_policy.h"
#include "prompts.h"

namespace autoswarm::bench {

using nlohmann::json;

namespace {

class PipelineRunner {
 public:
  PipelineRunner(const PipelineSpec& spec, const AgentContext& ctx, const std::string& agent_name)
      : spec_(spec),
        ctx_(ctx),
        trajectory_(ctx.session_id, agent_name, spec.model.empty() ? ctx.model : spec.model),
        handoffs_(ctx.client, spec, ctx.model) {
    outcome_.agent_name = agent_name;
    budget_.timeout = agent_timeout(ctx);
    budget_.deadline = std::chrono::steady_clock::now() + budget_.timeout;
    budget_.cancel = ctx.cancel;
    budget_.turns_left = spec.turn_cap();
  }

  AgentOutcome run() {
    const ToolRegistry& tools = ctx_.tools ? *ctx_.tools : ToolRegistry::builtin();
    AgentLoop loop(*ctx_.client, tools, ctx_.env, ctx_.workdir, trajectory_, spec_, budget_);
    std::vector<std::string> executed;
    std::string stop_reason = "completed";
    json incoming = nullptr;  // the handoff into the next stage

    for (size_t i = 0; i < spec_.stages.size(); ++i) {
      const StageSpec& stage = spec_.stages[i];
      if (i > 0 && budget_.turns_left <= 0) {
        stop_reason = "max_total_turns";
        break;
      }
      const std::string context = context_text();
      const std::string model = spec_.model_for(stage, ctx_.model);
      executed.push_back(stage.id);
      spdlog::debug("{}: stage {} ({})", ctx_.task.name, stage.id, model);
      StageResult result = loop.run(
          stage, model,
          prompts::fill(prompts::kStageUserMessage,
                        {{"instruction", ctx_.task.instruction}, {"context", context}}));

      outcome_.turns += result.turns;
      outcome_.total += result.usage;
      outcome_.stage_usage.push_back({stage.id, model, result.usage});
      outcome_.final_output = result.output;
      json trace = {{"stage", stage.id},
                    {"model", model},
                    {"attempt", 1},
                    {"input_context", context},
                    {"output", result.output},
                    {"turns_used", result.turns},
                    {"max_turns", stage.max_turns},
                    {"stop_reason", result.stop_reason},
                    {"tokens", result.usage.to_json()},
                    {"handoff_in", incoming}};
      if (result.error) {
        trace["error"] = {{"type", result.error->type}, {"message", result.error->message}};
        outcome_.stage_traces.push_back(std::move(trace));
        outcome_.error = result.error;
        stop_reason = result.stop_reason;
        break;
      }
      outcome_.stage_traces.push_back(std::move(trace));
      if (i + 1 < spec_.stages.size()) incoming = hand_off(stage, spec_.stages[i + 1], result.output);
    }

    for (const auto& id : executed) outcome_.topology += (outcome_.topology.empty() ? "" : "→") + id;
    outcome_.trajectory = trajectory_.to_json(outcome_.total,
                                              {{"pipeline_topology", outcome_.topology},
                                               {"turns", outcome_.turns},
                                               {"max_total_turns", spec_.turn_cap()},
                                               {"stop_reason", stop_reason}});
    return std::move(outcome_);
  }

 private:
  std::string context_text() const {
    if (sections_.empty()) return std::string(prompts::kNoContext);
    std::string out;
    for (const auto& [stage, text] : sections_) {
      if (!out.empty()) out += "\n\n";
      out += prompts::fill(prompts::kContextSection, {{"stage", stage}, {"output", text}});
    }
    return out;
  }

  json hand_off(const StageSpec& from, const StageSpec& to, const std::string& output) {
    const HandoffSpec* spec = spec_.find_handoff(from.id, to.id);
    HandoffResult h = handoffs_.apply(spec, from, to, output, ctx_.task.instruction);
    if (h.reply) {
      trajectory_.add_agent(*h.reply, h.model, h.usage,
                            {{"stage", from.id + "→" + to.id}, {"kind", "handoff_compression"}});
    }
    outcome_.total += h.usage;
    sections_.emplace_back(from.id, h.text);
    json j = h.to_json();
    j["from"] = from.id;
    return j;
  }

  const PipelineSpec& spec_;
  const AgentContext& ctx_;
  AtifTrajectory trajectory_;
  HandoffPolicy handoffs_;
  RunBudget budget_;
  AgentOutcome outcome_;
  std::vector<std::pair<std::string, std::string>> sections_;
};

}  // namespace

AgentOutcome run_pipeline(const PipelineSpec& spec, const AgentContext& ctx,
                          const std::string& agent_name) {
  return PipelineRunner(spec, ctx, agent_name).run();
}

}  // namespace autoswarm::bench
