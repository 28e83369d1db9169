// Runs a pipeline's flow (pipeline_spec.h): each stage an AgentLoop, its output handed to the
// stage that runs next through the HandoffPolicy; verdict stages send the run back on FAIL,
// parallel groups run their branches side by side (each in its own copy of the environment when
// more than one can change files) and their synthesis stage picks the branch the run continues
// in; stages offered as tools run inside another stage's tool call. Records the ATIF trajectory
// and one stage trace per execution.
//
// Context: an execution sees one section per earlier execution whose output was handed on, in
// the order they ran ("=== plan ===\n<handed-off output>"); a retried stage also sees the
// failing verdict ("=== verify (verdict FAIL) ==="), a synthesis stage every branch.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

#include "agents.h"
#include "autoswarm/bench/agent/agent_loop.h"
#include "autoswarm/util/text.h"
#include "autoswarm/bench/agent/custom_tool.h"
#include "autoswarm/bench/agent/handoff_policy.h"
#include "prompts.h"

namespace autoswarm::bench {

using nlohmann::json;

namespace {

// How deep stages offered as tools may call each other (the spec rejects cycles; this bounds
// what a spec edited behind validate()'s back could do).
constexpr size_t kMaxCallDepth = 8;

// One stage execution as it finished.
struct Execution {
  StageResult result;
  int number = 0;  // its key in the traces (start order)
};

// A parallel group that has run and waits for its synthesis stage's choice.
struct FinishedGroup {
  std::vector<std::string> branches;               // ids, in spec order
  std::vector<bool> succeeded;
  std::vector<std::unique_ptr<Environment>> envs;  // per branch when isolated; else empty
};

class PipelineRunner {
 public:
  PipelineRunner(const PipelineSpec& spec, const AgentContext& ctx, const std::string& agent_name)
      : spec_(spec),
        ctx_(ctx),
        tools_(ctx.tools ? *ctx.tools : ToolRegistry::builtin()),
        trajectory_(ctx.session_id, agent_name, spec.model.empty() ? ctx.model : spec.model),
        handoffs_(ctx.client, spec, ctx.model) {
    outcome_.agent_name = agent_name;
    budget_.timeout = agent_timeout(ctx);
    budget_.deadline = std::chrono::steady_clock::now() + budget_.timeout;
    budget_.cancel = ctx.cancel;
    budget_.turns_left = spec.turn_cap();
    for (const CustomToolSpec& tool : spec.tools) tools_.add(custom_tool(tool));
    for (const StageSpec& stage : spec.stages) {
      if (stage.as_tool) tools_.add(stage_tool(stage));
    }
  }

  AgentOutcome run() {
    const auto steps = spec_.flow();
    std::map<std::string, int> retries;  // per verdict stage, FAILs sent back so far
    size_t step = 0;
    while (step < steps.size() && !stopped_) {
      if (!executed_.empty() && budget_.turns_left <= 0) {
        stop_reason_ = PipelineStopReason::kMaxTotalTurns;
        stopped_at_ = spec_.stages[steps[step].front()].id;
        break;
      }
      const StageSpec& first = spec_.stages[steps[step].front()];
      if (first.group > 0) {
        run_group(steps[step], steps, step);
        ++step;
        continue;
      }
      std::optional<size_t> next = run_stage(first, steps, step, retries);
      if (!next) break;
      step = *next;
    }
    group_.reset();  // branches never chosen (the run stopped first) are removed here

    for (const auto& id : executed_) outcome_.topology += (outcome_.topology.empty() ? "" : "→") + id;
    for (auto& [number, trace] : traces_) outcome_.stage_traces.push_back(std::move(trace));
    json extra = {{"pipeline_topology", outcome_.topology},
                  {"turns", outcome_.turns},
                  {"max_total_turns", spec_.turn_cap()},
                  {"stop_reason", to_string(stop_reason_)}};
    if (!stopped_at_.empty()) extra["stopped_at"] = stopped_at_;
    outcome_.trajectory = trajectory_.to_json(outcome_.total, extra);
    return std::move(outcome_);
  }

 private:
  // Runs the single stage of flow step `step`; returns the step to run next, or nullopt when the
  // run ends here (an error, the turn budget).
  std::optional<size_t> run_stage(const StageSpec& stage, const std::vector<std::vector<size_t>>& steps,
                                  size_t step, std::map<std::string, int>& retries) {
    executed_.push_back(stage.id);
    consume(stage.id);
    AgentLoop loop(*ctx_.client, tools_, ctx_.env, ctx_.workdir, trajectory_, spec_, budget_);
    Execution e = execute(stage, loop, reserve(), context_text(), {}, nullptr);
    if (ended(e, stage)) return std::nullopt;

    if (group_) {
      if (!choose_branch(stage, e)) return std::nullopt;
    }
    std::string label = stage.id;
    size_t next = step + 1;
    if (stage.verdict) {
      std::optional<bool> verdict = read_verdict(e.result.output, stage.verdict->reading);
      const char* word = !verdict ? "none" : *verdict ? "PASS" : "FAIL";
      label += std::string(" (verdict ") + word + ")";
      bool fail = !verdict || !*verdict;
      json& trace = traces_[e.number];
      trace["verdict"] = word;
      const VerdictSpec& v = *stage.verdict;
      if (fail && !v.on_fail.empty()) {
        if (retries[stage.id] < v.max_retries.value_or(0)) {
          ++retries[stage.id];
          trace["goto"] = v.on_fail;
          for (size_t s = 0; s < steps.size(); ++s) {
            if (spec_.stages[steps[s].front()].id == v.on_fail) next = s;
          }
        } else {
          trace["retries_exhausted"] = true;
          spdlog::debug("{}: {} failed after {} retries; going on", ctx_.task.name, stage.id,
                        retries[stage.id]);
        }
      }
    }
    if (next < steps.size()) {
      // Branches share one context: the first branch with a handoff from this stage sets it.
      const StageSpec* to = &spec_.stages[steps[next].front()];
      for (size_t i : steps[next]) {
        if (spec_.find_handoff(stage.id, spec_.stages[i].id)) {
          to = &spec_.stages[i];
          break;
        }
      }
      pending_.push_back(e.number);
      hand_off(stage, *to, e.result.output, label);
    }
    return next;
  }

  // Runs the branches of a parallel group at the same time; each succeeded branch's output is
  // handed to the synthesis stage.
  void run_group(const std::vector<size_t>& members, const std::vector<std::vector<size_t>>& steps,
                 size_t step) {
    const int group = spec_.stages[members.front()].group;
    const bool isolated = spec_.isolated(group);
    std::vector<std::string> ids;
    for (size_t i : members) ids.push_back(spec_.stages[i].id);
    const std::string label = "[" + util::join(ids, "|") + "]";
    executed_.push_back(label);

    auto finished = std::make_unique<FinishedGroup>();
    finished->branches = ids;
    if (isolated) {
      try {
        for (const auto& id : ids) finished->envs.push_back(ctx_.env.branch(id));
      } catch (const Error& e) {
        fail({TrialErrorType::kEnvironment,
              std::string("copying the environment for ") + label + ": " + e.what()});
        return;
      }
    }
    const std::string context = context_text();
    std::vector<int> numbers;
    for (size_t b = 0; b < ids.size(); ++b) numbers.push_back(reserve());
    consume(ids.front());  // every branch gets the same context; the judge pairs it with the first

    std::vector<Execution> results = run_branches(members, finished->envs, numbers, context, label);

    const StageSpec* synthesis = step + 1 < steps.size() ? &spec_.stages[steps[step + 1].front()] : nullptr;
    std::optional<AgentError> first_error;
    for (size_t b = 0; b < members.size(); ++b) {
      const StageSpec& stage = spec_.stages[members[b]];
      const StageResult& r = results[b].result;
      bool ok = !r.error && r.stop_reason != StageStopReason::kMaxTotalTurns;
      finished->succeeded.push_back(ok);
      if (r.error && !first_error) first_error = r.error;
      if (r.error && (r.error->type == TrialErrorType::kAgentTimeout ||
                      r.error->type == TrialErrorType::kCancelled)) {
        fail(*r.error);
        return;
      }
      if (r.stop_reason == StageStopReason::kMaxTotalTurns) {
        stop_reason_ = PipelineStopReason::kMaxTotalTurns;
        stopped_at_ = stage.id;
        stopped_ = true;
      }
      if (traces_.contains(results[b].number)) pending_.push_back(results[b].number);
      if (!synthesis) continue;
      if (ok) {
        hand_off(stage, *synthesis, r.output, stage.id + " (branch)");
      } else {
        sections_.emplace_back(stage.id + " (branch failed)",
                               r.error ? to_string(r.error->type) + ": " + r.error->message
                                       : to_string(r.stop_reason));
      }
    }
    if (stopped_) return;
    if (std::none_of(finished->succeeded.begin(), finished->succeeded.end(), [](bool ok) { return ok; })) {
      fail(first_error.value_or(AgentError{TrialErrorType::kAgent, "every branch of " + label + " failed"}));
      return;
    }
    group_ = std::move(finished);
  }

  // Runs each branch of `members` on its own thread, in envs[b] (or the trial's environment when
  // `envs` is empty), and waits for all of them: the threads are joined however this returns.
  std::vector<Execution> run_branches(const std::vector<size_t>& members,
                                      const std::vector<std::unique_ptr<Environment>>& envs,
                                      const std::vector<int>& numbers, const std::string& context,
                                      const std::string& label) {
    std::vector<Execution> results(members.size());
    std::vector<std::jthread> threads;
    for (size_t b = 0; b < members.size(); ++b) {
      threads.emplace_back([&, b] {
        const StageSpec& stage = spec_.stages[members[b]];
        Environment& env = envs.empty() ? ctx_.env : *envs[b];
        AgentLoop loop(*ctx_.client, tools_, env, ctx_.workdir, trajectory_, spec_, budget_);
        try {
          results[b] = execute(stage, loop, numbers[b], context, {}, label);
        } catch (const std::exception& e) {  // never let a branch take the process down
          results[b].number = numbers[b];
          results[b].result.stop_reason = StageStopReason::kError;
          results[b].result.error =
              AgentError{TrialErrorType::kInternal, std::string(e.what()) + " (in branch " + stage.id + ")"};
        }
      });
    }
    threads.clear();  // joins
    return results;
  }

  // The synthesis stage `stage` has answered: the run continues with the branch it names (else
  // the first branch that succeeded), in that branch's environment when branches were isolated.
  bool choose_branch(const StageSpec& stage, const Execution& e) {
    std::unique_ptr<FinishedGroup> group = std::move(group_);
    std::vector<std::string> candidates;
    for (size_t b = 0; b < group->branches.size(); ++b) {
      if (group->succeeded[b]) candidates.push_back(group->branches[b]);
    }
    std::optional<std::string> named =
        read_choice(e.result.output, stage.choice.value_or(OutputReading{}), candidates);
    const std::string chosen = named.value_or(candidates.front());
    traces_[e.number]["choice"] = {{"branch", chosen}, {"named", named.has_value()}};
    if (group->envs.empty()) return true;
    size_t index = static_cast<size_t>(
        std::find(group->branches.begin(), group->branches.end(), chosen) - group->branches.begin());
    try {
      ctx_.env.continue_as(std::move(group->envs[index]));
    } catch (const Error& err) {
      fail({TrialErrorType::kEnvironment, "continuing in branch " + chosen + ": " + err.what()});
      return false;
    }
    spdlog::debug("{}: continuing in branch {}", ctx_.task.name, chosen);
    return true;  // the other branches' environments go with `group`
  }

  // Whether the run ends after execution `e` of `stage`: an error, or the turn budget spent.
  bool ended(const Execution& e, const StageSpec& stage) {
    if (e.result.error) {
      fail(*e.result.error);
      return true;
    }
    if (e.result.stop_reason == StageStopReason::kMaxTotalTurns) {
      stop_reason_ = PipelineStopReason::kMaxTotalTurns;
      stopped_at_ = stage.id;
      stopped_ = true;
      return true;
    }
    return false;
  }

  void fail(const AgentError& error) {
    if (!outcome_.error) outcome_.error = error;
    stop_reason_ = error.type == TrialErrorType::kAgentTimeout ? PipelineStopReason::kTimeout
                   : error.type == TrialErrorType::kCancelled  ? PipelineStopReason::kCancelled
                                                               : PipelineStopReason::kError;
    stopped_ = true;
  }

  // The next execution number: traces are kept in the order executions start.
  int reserve() {
    std::lock_guard lock(mutex_);
    return next_number_++;
  }

  // The executions whose output was handed on are consumed by stage `consumer`.
  void consume(const std::string& consumer) {
    std::lock_guard lock(mutex_);
    for (int waiting : pending_) traces_[waiting]["consumed_by"] = consumer;
    pending_.clear();
  }

  // Runs one execution of `stage` and records its trace and usage. `parent_call` is set for a
  // stage called as a tool ({stage, tool_call_id}); `branch` names the group it is a branch of.
  Execution execute(const StageSpec& stage, AgentLoop& loop, int number, const std::string& context,
                    const std::vector<std::string>& callers, const json& branch,
                    const json& parent_call = nullptr) {
    const std::string model = spec_.model_for(stage, ctx_.model);
    int attempt = 0;
    json handoff_in;
    {
      std::lock_guard lock(mutex_);
      attempt = ++attempts_[stage.id];
      handoff_in = parent_call.is_null() ? incoming_ : json(nullptr);
    }
    json site_extra = {{"attempt", attempt}};
    if (!branch.is_null()) site_extra["branch"] = branch;
    if (!parent_call.is_null()) site_extra["parent_call"] = parent_call;
    spdlog::debug("{}: stage {} attempt {} ({})", ctx_.task.name, stage.id, attempt, model);
    StageResult result = loop.run(
        stage, model,
        util::fill(prompts::kStageUserMessage,
                      {{"instruction", ctx_.task.instruction}, {"context", context}}),
        {.callers = callers, .extra = site_extra});

    json trace = {{"stage", stage.id},
                  {"model", model},
                  {"attempt", attempt},
                  {"branch", branch},
                  {"parent_call", parent_call},
                  {"input_context", context},
                  {"output", result.output},
                  {"turns_used", result.turns},
                  {"max_turns", stage.max_turns},
                  {"stop_reason", to_string(result.stop_reason)},
                  {"tokens", result.usage.to_json()},
                  {"handoff_in", handoff_in},
                  {"consumed_by", nullptr}};
    if (result.error) {
      trace["error"] = {{"type", to_string(result.error->type)}, {"message", result.error->message}};
    }
    std::lock_guard lock(mutex_);
    outcome_.turns += result.turns;
    outcome_.total += result.usage;
    outcome_.stage_usage.push_back({stage.id, model, result.usage});
    if (parent_call.is_null()) outcome_.final_output = result.output;
    traces_[number] = std::move(trace);
    return {std::move(result), number};
  }

  // `stage` offered as a tool: the caller's request is its context, its output the tool's answer.
  ToolDefinition stage_tool(const StageSpec& stage) {
    json parameters = {
        {"type", "object"},
        {"properties",
         {{"request", {{"type", "string"}, {"description", "What you ask of " + stage.id}}}}},
        {"required", {"request"}}};
    return {stage.id, *stage.as_tool, parameters, [this, &stage](const json& args, ToolContext& tc) {
              const std::vector<std::string>& callers = tc.callers;
              if (std::find(callers.begin(), callers.end(), stage.id) != callers.end()) {
                return ToolResult{"error: " + stage.id + " is already running in this chain (" +
                                      util::join(callers, " → ") +
                                      "): a stage offered as a tool cannot call itself",
                                  true};
              }
              if (callers.size() >= kMaxCallDepth) {
                return ToolResult{"error: stages calling stages are nested " +
                                      std::to_string(callers.size()) + " deep (" +
                                      util::join(callers, " → ") + "); answer without " + stage.id,
                                  true};
              }
              const std::string caller = callers.empty() ? "" : callers.back();
              const std::string context = util::fill(
                  prompts::kToolStageRequest,
                  {{"caller", caller}, {"request", args.at("request").get<std::string>()}});
              AgentLoop loop(*ctx_.client, tools_, tc.env, ctx_.workdir, trajectory_, spec_, budget_);
              Execution e = execute(stage, loop, reserve(), context, callers, nullptr,
                                    {{"stage", caller}, {"tool_call_id", tc.call_id}});
              {
                std::lock_guard lock(mutex_);
                traces_[e.number]["consumed_by"] = caller;
              }
              const StageResult& r = e.result;
              if (r.error && r.error->type == TrialErrorType::kEnvironment) {
                throw EnvironmentGone(r.error->message);
              }
              if (r.error) return ToolResult{"error: " + stage.id + " failed: " + r.error->message, true};
              if (r.stop_reason == StageStopReason::kMaxTotalTurns) {
                return ToolResult{"error: " + stage.id + " stopped: max_total_turns is reached", true};
              }
              return ToolResult{r.output.empty() ? "(" + stage.id + " gave no answer)" : r.output, false};
            }};
  }

  std::string context_text() const {
    if (sections_.empty()) return std::string(prompts::kNoContext);
    std::string out;
    for (const auto& [label, text] : sections_) {
      if (!out.empty()) out += "\n\n";
      out += util::fill(prompts::kContextSection, {{"stage", label}, {"output", text}});
    }
    return out;
  }

  void hand_off(const StageSpec& from, const StageSpec& to, const std::string& output,
                const std::string& label) {
    const HandoffSpec* spec = spec_.find_handoff(from.id, to.id);
    HandoffResult h = handoffs_.apply(spec, from, to, output, ctx_.task.instruction);
    if (h.reply) {
      trajectory_.add_agent(*h.reply, h.model, h.usage,
                            {{"stage", from.id + "→" + to.id}, {"kind", "handoff_compression"}});
    }
    outcome_.total += h.usage;
    sections_.emplace_back(label, h.text);
    json j = h.to_json();
    j["from"] = from.id;
    incoming_ = std::move(j);
  }

  const PipelineSpec& spec_;
  const AgentContext& ctx_;
  ToolRegistry tools_;  // the context's tools, the spec's custom tools and its stages as tools
  AtifTrajectory trajectory_;
  HandoffPolicy handoffs_;
  RunBudget budget_;
  AgentOutcome outcome_;
  std::vector<std::pair<std::string, std::string>> sections_;  // (label, handed-off text)
  json incoming_ = nullptr;                                    // the last handoff, for the trace
  std::vector<std::string> executed_;                          // flow steps as they ran
  PipelineStopReason stop_reason_ = PipelineStopReason::kCompleted;
  std::string stopped_at_;
  bool stopped_ = false;
  std::unique_ptr<FinishedGroup> group_;                       // waiting for its synthesis stage

  std::mutex mutex_;  // guards what executions running at the same time share (below, outcome_)
  std::map<int, json> traces_;                                 // by execution number
  std::map<std::string, int> attempts_;
  std::vector<int> pending_;                                   // outputs waiting for a consumer
  int next_number_ = 0;
};

}  // namespace

AgentOutcome run_pipeline(const PipelineSpec& spec, const AgentContext& ctx,
                          const std::string& agent_name) {
  return PipelineRunner(spec, ctx, agent_name).run();
}

}  // namespace autoswarm::bench
