// The agents behind run_agent(), one function each (internal to src/bench/agent).
#pragma once

#include "autoswarm/bench/agent/agent.h"

namespace autoswarm::bench {

// The flow of `spec` (pipeline_runner.cpp): its stages with handoffs, verify-retry loops, parallel
// branches and stages as tools. Used for both pipeline and single (whose spec is
// single_agent_spec()); `agent_name` goes into the trajectory.
AgentOutcome run_pipeline(const PipelineSpec& spec, const AgentContext& ctx,
                          const std::string& agent_name);

// solution/ → /solution, then bash /solution/solve.sh > /logs/agent/oracle.txt 2>&1.
AgentOutcome run_oracle(const AgentContext& ctx);

// Nothing at all: a trajectory with the instruction only.
AgentOutcome run_nop(const AgentContext& ctx);

// The agent phase's time limit: ctx.timeout, else [agent].timeout_sec.
std::chrono::milliseconds agent_timeout(const AgentContext& ctx);

}  // namespace autoswarm::bench
