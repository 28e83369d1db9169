// The tool-calling loop of one stage (see agent_loop.h for the budgets it honours).
#include "autoswarm/bench/agent/agent_loop.h"
#include "autoswarm/util/text.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "autoswarm/llm/client.h"
#include "prompts.h"

namespace autoswarm::bench {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds RunBudget::time_left() const {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

bool RunBudget::take_turn() {
  int left = turns_left.load();
  while (left > 0) {
    if (turns_left.compare_exchange_weak(left, left - 1)) return true;
  }
  return false;
}

AgentLoop::AgentLoop(llm::Client& client, const ToolRegistry& tools, Environment& env,
                     std::string workdir, AtifTrajectory& trajectory, const PipelineSpec& spec,
                     RunBudget& budget)
    : client_(client),
      tools_(tools),
      env_(env),
      workdir_(std::move(workdir)),
      trajectory_(trajectory),
      spec_(spec),
      budget_(budget) {}

std::string AgentLoop::system_prompt(const StageSpec& stage) {
  std::string_view line;
  switch (stage.output_format) {
    case OutputFormat::kProse: line = prompts::kFormatProse; break;
    case OutputFormat::kBulletList: line = prompts::kFormatBulletList; break;
    case OutputFormat::kJson: line = prompts::kFormatJson; break;
    case OutputFormat::kStructuredJson: line = prompts::kFormatStructuredJson; break;
  }
  return stage.system_prompt + "\n\n" + std::string(line);
}

StageResult AgentLoop::run(const StageSpec& stage, const std::string& model,
                           const std::string& user_message, const ExecutionSite& site) {
  json extra = {{"stage", stage.id}};
  if (site.extra.is_object()) extra.update(site.extra);
  std::vector<std::string> callers = site.callers;
  callers.push_back(stage.id);
  const std::string system = system_prompt(stage);
  trajectory_.add_system(system, extra);
  trajectory_.add_user(user_message, extra);

  json messages = json::array({{{"role", "system"}, {"content", system}},
                               {{"role", "user"}, {"content", user_message}}});
  const json tool_schemas = stage.tools.empty() ? json() : tools_.schemas(stage.tools);
  StageResult result;

  auto stop = [&](StageStopReason reason, std::optional<AgentError> error = std::nullopt) {
    result.stop_reason = reason;
    result.error = std::move(error);
  };
  // Checked before every model call and tool call; true when the stage must end now.
  auto out_of_time = [&] {
    if (budget_.cancelled()) {
      stop(StageStopReason::kCancelled, AgentError{TrialErrorType::kCancelled, "the run was interrupted"});
      return true;
    }
    if (Clock::now() >= budget_.deadline) {
      stop(StageStopReason::kTimeout, AgentError{TrialErrorType::kAgentTimeout,
                                 "the agent did not finish within " +
                                     std::to_string(budget_.timeout.count() / 1000) +
                                     " s ([agent].timeout_sec)"});
      return true;
    }
    return false;
  };

  while (true) {
    if (out_of_time()) break;
    if (result.turns >= stage.max_turns) {
      stop(StageStopReason::kMaxTurns);
      break;
    }
    if (!budget_.take_turn()) {
      stop(StageStopReason::kMaxTotalTurns);
      break;
    }

    llm::ChatRequest request;
    request.model = model;
    request.messages = messages;
    request.tools = tool_schemas;
    llm::ChatResponse reply;
    try {
      reply = client_.chat(request, budget_.deadline);
    } catch (const Error& e) {  // llm::LlmError and anything else the client throws
      // A call cut short by Ctrl-C (Client::abort) or by the run's deadline says so.
      if (!out_of_time()) stop(StageStopReason::kError, AgentError{TrialErrorType::kLlm, e.what()});
      break;
    }
    ++result.turns;
    TokenUsage usage = TokenUsage::from(
        reply.usage, spec_.cost_usd(model, reply.usage.prompt_tokens, reply.usage.completion_tokens));
    result.usage += usage;
    for (size_t i = 0; i < reply.tool_calls.size(); ++i) {
      if (reply.tool_calls[i].id.empty()) {
        reply.tool_calls[i].id = "call_" + std::to_string(result.turns) + "_" + std::to_string(i);
      }
    }
    const size_t step = trajectory_.add_agent(reply, model, usage, extra);
    messages.push_back(reply.message());
    if (!reply.content.empty()) result.output = reply.content;

    if (reply.tool_calls.empty()) {
      stop(StageStopReason::kAnswered);
      break;
    }

    bool interrupted = false;
    for (const llm::ToolCall& call : reply.tool_calls) {
      if (!interrupted && out_of_time()) interrupted = true;
      ToolResult tool_result;
      if (interrupted) {
        // Every call still gets an answer so the conversation stays well-formed.
        tool_result = {"error: not run: the agent was stopped (" + to_string(result.stop_reason) + ")",
                       true};
      } else if (std::find(stage.tools.begin(), stage.tools.end(), call.name) == stage.tools.end()) {
        std::string list;
        for (const auto& t : stage.tools) list += (list.empty() ? "" : ", ") + t;
        tool_result = {util::fill(prompts::kUnknownTool,
                                     {{"name", call.name}, {"tools", list.empty() ? "none" : list}}),
                       true};
      } else {
        ToolContext ctx{env_, workdir_, budget_.time_left(), budget_.cancel, callers, call.id};
        try {
          tool_result = tools_.call(call, ctx);
        } catch (const EnvironmentGone& e) {
          stop(StageStopReason::kError, AgentError{TrialErrorType::kEnvironment, e.what()});
          interrupted = true;
          tool_result = {std::string("error: ") + e.what(), true};
        }
      }
      spdlog::debug("stage {}: {} -> {} chars{}", stage.id, call.name, tool_result.content.size(),
                    tool_result.is_error ? " (error)" : "");
      messages.push_back(
          {{"role", "tool"}, {"tool_call_id", call.id}, {"content", tool_result.content}});
      trajectory_.add_observation(step, call.id, tool_result.content);
    }
    if (interrupted) break;
  }
  return result;
}

}  // namespace autoswarm::bench
