// pipeline_spec.yaml as data: the stages of the agent pipeline, how control flows between them,
// the handoffs, the tools, turn budgets and prices. Parsing never stops at the first problem;
// validate() lists them all. Every shape is documented with examples in docs/benchmark-mode.md.
//
//   pipeline:
//     model: qwen3-coder           # default model of every stage
//     max_total_turns: 40          # hard cap on model calls across every stage execution
//                                  # (retries, branches, stage-as-tool calls); default: worst case
//     tools:                       # custom tools (see CustomToolSpec)
//       - name: count_lines
//         description: "Count the lines of a file."
//         parameters: {type: object, properties: {path: {type: string}}, required: [path]}
//         command: [wc, -l, "{path}"]   # argv; "{path}" is replaced by the argument, whole
//         stdin: text                   # optional: this argument goes to the command's stdin
//         timeout_sec: 30               # default 30
//         max_output_chars: 8000        # default 8000, for stdout and for stderr
//     stages:
//       - id: plan
//         system_prompt: "You plan ..."
//         tools: [run_shell, read_file, check]  # built-in, custom, and stages offered as tools
//         max_turns: 10            # default 10
//         output_format: bullet_list   # prose (default) | bullet_list | json | structured_json
//         model: other-model       # optional override
//       - id: execute
//         ...
//       - id: verify               # a verdict stage: PASS/FAIL decides where the run goes next
//         verdict: last_line       # or {json_field: status}
//         on_fail: execute         # an earlier stage; FAIL goes back there ...
//         max_retries: 2           # ... at most this many times (required with on_fail)
//       - parallel:                # a branch group: these stages run side by side
//           - id: solve_a
//             ...
//           - id: solve_b
//             ...
//       - id: pick                 # the synthesis stage: sees every branch's output and names
//         choice: last_line        # the branch the run continues with (or {json_field: branch})
//       - id: check
//         as_tool: "Ask the checker to review a change; describe it."   # a stage-as-tool:
//                                  # out of the flow, run only when a stage calls it
//     handoffs:
//       plan→execute:              # also plan->execute; any edge of edges()
//         token_budget: 2000       # ≈4 characters a token; absent: passed unchanged
//         format: bullet_list      # asked of the compression call
//         include_raw_output: false
//     pricing:
//       gpt-4o: {input_per_mtok: 2.5, output_per_mtok: 10}
//
// A spec with none of verdict, parallel, choice, as_tool and tools is the linear pipeline: the
// stages run once each, in order.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoswarm::bench {

// The tools a stage may list without declaring them; the agent's ToolRegistry::builtin() runs
// them (agent/tool_registry.h).
inline constexpr std::string_view kRunShellTool = "run_shell";
inline constexpr std::string_view kReadFileTool = "read_file";
inline constexpr std::string_view kWriteFileTool = "write_file";
// The three, in that order.
std::vector<std::string> builtin_tool_names();

enum class OutputFormat { kProse, kBulletList, kJson, kStructuredJson };

// "prose" | "bullet_list" | "json" | "structured_json"; nullopt otherwise.
std::optional<OutputFormat> parse_output_format(const std::string& name);
std::string to_string(OutputFormat format);

// Where a word is read from a stage's output: its last non-empty line, or a field of the JSON
// object in it (found as llm::find_json_answer finds one).
struct OutputReading {
  std::string json_field;             // "": the last line
  int line = 0;
};

// The text `reading` takes from a stage's output: its last non-empty line (trimmed), or the field
// of the first JSON object in it that has the field (a string as is, another value as JSON
// text). nullopt: no such line or field.
std::optional<std::string> read_output(const std::string& output, const OutputReading& reading);

// A verdict stage's verdict: true for PASS, false for FAIL, nullopt when the read text says
// neither or both. The words count case-insensitively and whole ("PASS", "Verdict: FAIL",
// "**passed**"); a JSON field may also be true or false.
std::optional<bool> read_verdict(const std::string& output, const OutputReading& reading);

// The branch a synthesis stage names: the one of `branches` whose id appears first, as a whole
// word, in the read text ("CHOSEN: solve_b"). nullopt: none does.
std::optional<std::string> read_choice(const std::string& output, const OutputReading& reading,
                                       const std::vector<std::string>& branches);

// A verdict stage's control flow: on FAIL go back to `on_fail`, at most `max_retries` times.
struct VerdictSpec {
  OutputReading reading;
  std::string on_fail;                // "": a FAIL is recorded and the run goes on
  std::optional<int> max_retries;     // required with on_fail
  int line = 0;
};

struct StageSpec {
  std::string id;
  std::string system_prompt;
  std::vector<std::string> tools;     // names: built-in tools, pipeline.tools, as_tool stages
  int max_turns = 10;                 // model calls this stage may make, per execution
  OutputFormat output_format = OutputFormat::kProse;
  std::string model;                  // "" : the pipeline's model
  std::optional<VerdictSpec> verdict;
  std::optional<OutputReading> choice;  // set on a synthesis stage that names its choice
  int group = 0;                      // > 0: a branch of the parallel group with this number
  std::optional<std::string> as_tool; // set: offered as a tool with this description; not in the flow
  int line = 0;                       // 1-based line in the spec file (0: not from a file)

  bool in_flow() const { return !as_tool.has_value(); }
};

// A tool declared in pipeline.tools: the command runs in the task's environment as an argument
// vector; an element that is exactly "{name}" becomes the argument `name` (a string as is, any
// other JSON value as its JSON text) as one argv element. Nothing is ever spliced into a shell
// script: validate() rejects a placeholder inside an `sh -c` script (pass it as "$1" instead).
struct CustomToolSpec {
  std::string name;
  std::string description;
  nlohmann::json parameters;          // JSON schema of the arguments object
  std::vector<std::string> command;
  std::string stdin_argument;         // "": no stdin; else the argument written to stdin
  int timeout_sec = 30;
  int max_output_chars = 8000;        // per stream (stdout, stderr)
  int line = 0;
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
  std::vector<StageSpec> stages;      // in file order; a parallel group's branches are adjacent
  std::vector<CustomToolSpec> tools;
  std::vector<HandoffSpec> handoffs;
  std::map<std::string, ModelPrice> pricing;
  std::vector<SpecProblem> parse_problems;  // found while reading (syntax, unknown fields, types)

  const StageSpec* find_stage(const std::string& id) const;
  const HandoffSpec* find_handoff(const std::string& from, const std::string& to) const;
  const CustomToolSpec* find_tool(const std::string& name) const;

  // The flow: each step one stage, or a parallel group's branches; as indexes into `stages`.
  // Stages offered as tools are not in it.
  std::vector<std::vector<size_t>> flow() const;

  // The synthesis stage of parallel group `group` (the stage after it in the flow); null if none.
  const StageSpec* synthesis_of(int group) const;

  // Whether a stage's tools may change the task's files: any tool but read_file (a custom tool
  // or a stage offered as a tool may run anything).
  static bool can_change_files(const StageSpec& stage);

  // Whether group `group` runs each branch in its own copy of the environment: true when more
  // than one of its branches can change files.
  bool isolated(int group) const;

  // The transitions a run can take, as (from, to) stage ids: each flow step to the next (every
  // branch of a group from the step before it and to its synthesis stage) and each verdict
  // stage back to its on_fail stage. Linear: consecutive stages.
  std::vector<std::pair<std::string, std::string>> edges() const;

  // The model calls the whole pipeline may make: max_total_turns, else the worst case of the
  // flow (every retry taken) plus one call of each stage offered as a tool.
  int turn_cap() const;

  // The declared shape: flow steps joined by "→", a group as "[solve_a|solve_b]".
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

// Every problem of the spec, sorted by line (those of the file as a whole first): what parsing
// found (parse_problems: syntax, unknown fields, types, duplicate handoffs, negative prices);
// empty, duplicate or malformed stage ids and empty prompts; tools that are neither in
// `known_tools` nor declared by the spec; turn budgets (one pass of the flow over
// max_total_turns, a stage offered as a tool over it alone); handoffs that name no stage or no
// edge a run can take; verdicts, on_fail, max_retries and choice that do not fit together;
// parallel groups with one branch or no synthesis stage, and synthesis stages that could change
// files of isolated branches; stages offered as tools that can end up calling themselves; custom
// tools with bad names, parameters, commands or placeholders. Empty means the spec can run.
std::vector<SpecProblem> validate(const PipelineSpec& spec, const std::set<std::string>& known_tools);

// validate() against the built-in tools (the spec's own tools come on top).
std::vector<SpecProblem> validate(const PipelineSpec& spec);

// load_pipeline_spec + validate; throws FileError listing every problem, one a line.
PipelineSpec load_valid_pipeline_spec(const std::string& path);

}  // namespace autoswarm::bench
