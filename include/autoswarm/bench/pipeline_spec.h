// pipeline_spec.yaml as data: the stages of the agent pipeline, the handoffs between them, turn
// budgets and prices. Parsing never stops at the first problem; validate() lists them all.
//
//   pipeline:
//     model: qwen3-coder           # default model of every stage
//     max_total_turns: 40          # model calls across the whole pipeline (default: sum of stages)
//     stages:
//       - id: plan
//         system_prompt: "You plan ..."
//         tools: [run_shell, read_file]
//         max_turns: 10            # default 10
//         output_format: bullet_list   # prose (default) | bullet_list | json | structured_json
//         model: other-model       # optional override
//       - id: execute
//         ...
//     handoffs:
//       plan→execute:              # also plan->execute
//         token_budget: 2000       # ≈4 characters a token; absent: passed unchanged
//         format: bullet_list      # asked of the compression call
//         include_raw_output: false
//     pricing:
//       gpt-4o: {input_per_mtok: 2.5, output_per_mtok: 10}
//
// Extension (issue 7): control flow (goto/retry, parallel groups, stages as tools) and custom tools
// become new optional fields of StageSpec / PipelineSpec; edges() grows the extra transitions and
// the runner follows them. A linear spec stays valid and means what it means today.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace autoswarm::bench {

enum class OutputFormat { kProse, kBulletList, kJson, kStructuredJson };

// "prose" | "bullet_list" | "json" | "structured_json"; nullopt otherwise.
std::optional<OutputFormat> parse_output_format(const std::string& name);
std::string to_string(OutputFormat format);

struct StageSpec {
  std::string id;
  std::string system_prompt;
  std::vector<std::string> tools;     // names in the ToolRegistry
  int max_turns = 10;                 // model calls this stage may make
  OutputFormat output_format = OutputFormat::kProse;
  std::string model;                  // "" : the pipeline's model
  int line = 0;                       // 1-based line in the spec file (0: not from a file)
};

struct HandoffSpec {
  std::string from;
  std::string to;
  std::optional<int> token_budget;    // nullopt: the output passes unchanged
  std::optional<OutputFormat> format; // the shape a compressed handoff is asked for
  bool include_raw_output = false;    // true: the output passes raw, whatever its size
  int line = 0;

  std::string key() const { return from + "→" + to; }
};

struct ModelPrice {
  double input_per_mtok = 0.0;        // USD per million prompt tokens
  double output_per_mtok = 0.0;       // USD per million completion tokens
};

// One thing wrong with a spec, with where it is.
struct SpecProblem {
  std::string file;
  int line = 0;                       // 0: the file as a whole
  std::string message;

  std::string to_string() const;      // "file:line: message" (or "file: message")
};

struct PipelineSpec {
  std::string file = "pipeline_spec.yaml";  // as named in problems
  std::string model;                        // "" : whatever model the run chose
  std::optional<int> max_total_turns;
  int max_total_turns_line = 0;
  std::vector<StageSpec> stages;
  std::vector<HandoffSpec> handoffs;
  std::map<std::string, ModelPrice> pricing;
  std::vector<SpecProblem> parse_problems;  // found while reading (syntax, unknown fields, types)

  const StageSpec* find_stage(const std::string& id) const;
  const HandoffSpec* find_handoff(const std::string& from, const std::string& to) const;

  // The transitions a run can take, as (from, to) stage ids. Linear: consecutive stages.
  std::vector<std::pair<std::string, std::string>> edges() const;

  // The model calls the whole pipeline may make: max_total_turns, else the sum of max_turns.
  int turn_cap() const;

  // The declared shape: stage ids joined by "→" ("plan→execute").
  std::string topology() const;

  // The model a stage calls: its override, else the pipeline's, else `run_model`.
  std::string model_for(const StageSpec& stage, const std::string& run_model) const;

  // USD for the tokens of one model; 0 for a model without a price.
  double cost_usd(const std::string& model, long long prompt_tokens,
                  long long completion_tokens) const;
};

// Parses YAML text; problems go to parse_problems (never throws for bad content).
PipelineSpec parse_pipeline_spec(const std::string& yaml_text,
                                 const std::string& file_name = "pipeline_spec.yaml");

// Reads and parses a file. Throws FileError when it cannot be read.
PipelineSpec load_pipeline_spec(const std::string& path);

// Every problem: parse_problems, then duplicate/empty ids, empty prompts, tools not in
// `known_tools`, bad turn budgets (including max_turns summing over max_total_turns), handoff
// keys that do not name an edge. Empty means the spec can run.
std::vector<SpecProblem> validate(const PipelineSpec& spec, const std::set<std::string>& known_tools);

// validate() against the built-in tools of ToolRegistry.
std::vector<SpecProblem> validate(const PipelineSpec& spec);

// load_pipeline_spec + validate; throws FileError listing every problem, one a line.
PipelineSpec load_valid_pipeline_spec(const std::string& path);

// The spec of the single-agent baseline: one stage "agent", "You are an agent that executes
// tasks", every built-in tool, 30 turns.
PipelineSpec single_agent_spec();

}  // namespace autoswarm::bench
