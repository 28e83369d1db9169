// The agents run_agent() can run and the single-agent baseline as a spec; the built-in tools the
// spec layer names are the ones the agent layer runs; the names of agent kinds, stop reasons and
// trial errors as the files and the command line spell them.
#include <catch2/catch.hpp>

#include <set>

#include "autoswarm/bench/agent/agent.h"
#include "autoswarm/bench/agent/stop_reason.h"
#include "autoswarm/bench/agent/tool_registry.h"
#include "autoswarm/bench/spec/pipeline_spec.h"

using namespace autoswarm::bench;

TEST_CASE("the single-agent baseline spec", "[bench][spec]") {
  PipelineSpec spec = single_agent_spec();
  CHECK(validate(spec).empty());
  REQUIRE(spec.stages.size() == 1);
  CHECK(spec.stages[0].system_prompt == "You are an agent that executes tasks");
  CHECK(spec.stages[0].max_turns == 30);
  CHECK(spec.turn_cap() == 30);
  CHECK(spec.topology() == "agent");
}

TEST_CASE("the built-in tools a spec may name are the ones the agent runs", "[bench][tools]") {
  const std::vector<std::string> names = builtin_tool_names();
  CHECK(names == std::vector<std::string>{"run_shell", "read_file", "write_file"});
  CHECK(ToolRegistry::builtin().names() == std::set<std::string>(names.begin(), names.end()));
  CHECK(single_agent_spec().stages[0].tools == names);
}

TEST_CASE("trial errors keep Harbor's names, both ways", "[bench][names]") {
  const std::pair<TrialErrorType, const char*> harbor[] = {
      {TrialErrorType::kAgentTimeout, "AgentTimeoutError"},
      {TrialErrorType::kLlm, "LlmError"},
      {TrialErrorType::kSolutionNotFound, "SolutionNotFoundError"},
      {TrialErrorType::kAgent, "AgentError"},
      {TrialErrorType::kEnvironmentBuild, "EnvironmentBuildError"},
      {TrialErrorType::kEnvironmentStart, "EnvironmentStartError"},
      {TrialErrorType::kEnvironment, "EnvironmentError"},
      {TrialErrorType::kVerifierTimeout, "VerifierTimeoutError"},
      {TrialErrorType::kRewardFileNotFound, "RewardFileNotFoundError"},
      {TrialErrorType::kRewardFileEmpty, "RewardFileEmptyError"},
      {TrialErrorType::kVerifierOutputParse, "VerifierOutputParseError"},
      {TrialErrorType::kCancelled, "CancelledError"},
      {TrialErrorType::kTrialOutput, "TrialOutputError"},
      {TrialErrorType::kInternal, "InternalError"},
  };
  for (const auto& [type, name] : harbor) {
    CHECK(to_string(type) == name);
    CHECK(parse_trial_error_type(name) == type);
  }
  CHECK_FALSE(parse_trial_error_type("agenttimeouterror").has_value());
  CHECK_FALSE(parse_trial_error_type("").has_value());
}

TEST_CASE("stop reasons are spelt as the traces and trajectories write them", "[bench][names]") {
  const std::pair<StageStopReason, const char*> stage[] = {
      {StageStopReason::kAnswered, "answered"},   {StageStopReason::kMaxTurns, "max_turns"},
      {StageStopReason::kMaxTotalTurns, "max_total_turns"}, {StageStopReason::kTimeout, "timeout"},
      {StageStopReason::kCancelled, "cancelled"}, {StageStopReason::kError, "error"},
  };
  for (const auto& [reason, name] : stage) {
    CHECK(to_string(reason) == name);
    CHECK(parse_stage_stop_reason(name) == reason);
  }
  const std::pair<PipelineStopReason, const char*> pipeline[] = {
      {PipelineStopReason::kCompleted, "completed"},
      {PipelineStopReason::kMaxTotalTurns, "max_total_turns"},
      {PipelineStopReason::kTimeout, "timeout"},
      {PipelineStopReason::kCancelled, "cancelled"},
      {PipelineStopReason::kError, "error"},
  };
  for (const auto& [reason, name] : pipeline) {
    CHECK(to_string(reason) == name);
    CHECK(parse_pipeline_stop_reason(name) == reason);
  }
  CHECK_FALSE(parse_stage_stop_reason("completed").has_value());
  CHECK_FALSE(parse_pipeline_stop_reason("answered").has_value());
}

TEST_CASE("agent kinds by their command-line names", "[bench][names]") {
  for (AgentKind kind : {AgentKind::kPipeline, AgentKind::kSingle, AgentKind::kOracle, AgentKind::kNop}) {
    CHECK(parse_agent_kind(to_string(kind)) == kind);
  }
  CHECK(to_string(AgentKind::kOracle) == "oracle");
}

TEST_CASE("each agent's recorded name, and which agents call a model", "[bench][names]") {
  CHECK(agent_name(AgentKind::kPipeline) == "autoswarm-pipeline");
  CHECK(agent_name(AgentKind::kSingle) == "autoswarm-single");
  CHECK(agent_name(AgentKind::kOracle) == "oracle");
  CHECK(agent_name(AgentKind::kNop) == "nop");
  CHECK(needs_llm(AgentKind::kPipeline));
  CHECK(needs_llm(AgentKind::kSingle));
  CHECK_FALSE(needs_llm(AgentKind::kOracle));
  CHECK_FALSE(needs_llm(AgentKind::kNop));
}
