// The oracle agent (runs the task's reference solution, proving the task solvable) and the nop
// agent (does nothing, proving the tests fail on an untouched environment).
#include "agents.h"
#include "autoswarm/bench/agent/trajectory.h"
#include "autoswarm/util/error.h"

namespace autoswarm::bench {

using nlohmann::json;

namespace {

// The command is fixed text: nothing from the task or the user is spliced into it.
constexpr const char* kSolveCommand =
    "mkdir -p /logs/agent && bash /solution/solve.sh > /logs/agent/oracle.txt 2>&1";

AgentOutcome finish(AgentOutcome outcome, const AtifTrajectory& trajectory) {
  outcome.topology = outcome.agent_name;
  outcome.trajectory = trajectory.to_json(outcome.total, {{"pipeline_topology", outcome.topology}});
  return outcome;
}

}  // namespace

AgentOutcome run_oracle(const AgentContext& ctx) {
  AgentOutcome outcome;
  outcome.agent_name = agent_name(AgentKind::kOracle);
  AtifTrajectory trajectory(ctx.session_id, outcome.agent_name, "");
  trajectory.add_user(ctx.task.instruction);

  if (!ctx.task.has_solution()) {
    outcome.error = AgentError{TrialErrorType::kSolutionNotFound,
                               (ctx.task.solution_dir() / "solve.sh").string() + ": missing"};
    return finish(std::move(outcome), trajectory);
  }
  EnvMap env = expand_env(ctx.task.solution.env, ctx.env_lookup);
  env["DEBIAN_FRONTEND"] = "noninteractive";
  const std::chrono::milliseconds timeout = agent_timeout(ctx);
  ExecResult r;
  try {
    ctx.env.copy_in(ctx.task.solution_dir(), "/solution");
    r = ctx.env.exec({"bash", "-c", kSolveCommand}, timeout, "", env);
  } catch (const Error& e) {
    outcome.error = AgentError{TrialErrorType::kEnvironment, e.what()};
    return finish(std::move(outcome), trajectory);
  }

  llm::ChatResponse step;
  step.content = "Ran the reference solution.";
  llm::ToolCall call;
  call.id = "call_oracle";
  call.name = kRunShellTool;
  call.arguments = json{{"command", kSolveCommand}}.dump();
  llm::parse_tool_arguments(call);
  step.tool_calls.push_back(call);
  size_t index = trajectory.add_agent(step, "oracle", {});
  std::string observation = "EXIT CODE: " + std::to_string(r.exit_code) +
                            " (output in /logs/agent/oracle.txt)";
  if (r.timed_out) {
    outcome.error = AgentError{TrialErrorType::kAgentTimeout,
                               "solve.sh did not finish within " +
                                   std::to_string(timeout.count() / 1000) +
                                   " s ([agent].timeout_sec)"};
    observation = "TIMED OUT";
  } else if (ctx.cancel && ctx.cancel->load()) {
    outcome.error = AgentError{TrialErrorType::kCancelled, "the run was interrupted"};
  }
  trajectory.add_observation(index, call.id, observation);
  outcome.turns = 1;
  outcome.final_output = observation;
  return finish(std::move(outcome), trajectory);
}

AgentOutcome run_nop(const AgentContext& ctx) {
  AgentOutcome outcome;
  outcome.agent_name = agent_name(AgentKind::kNop);
  AtifTrajectory trajectory(ctx.session_id, outcome.agent_name, "");
  trajectory.add_user(ctx.task.instruction);
  return finish(std::move(outcome), trajectory);
}

}  // namespace autoswarm::bench
