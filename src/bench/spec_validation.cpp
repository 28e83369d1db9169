// What a parsed PipelineSpec means and whether it can run: edges, topology, turn cap, cost, and
// validate(), which lists every problem with its line.
#include <algorithm>
#include <cctype>
#include <numeric>

#include "autoswarm/bench/pipeline_spec.h"
#include "autoswarm/bench/tool_registry.h"
#include "autoswarm/util/error.h"
#include "prompts.h"

namespace autoswarm::bench {

namespace {

bool valid_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  }) && id.find("->") == std::string::npos;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::optional<OutputFormat> parse_output_format(const std::string& name) {
  if (name == "prose") return OutputFormat::kProse;
  if (name == "bullet_list") return OutputFormat::kBulletList;
  if (name == "json") return OutputFormat::kJson;
  if (name == "structured_json") return OutputFormat::kStructuredJson;
  return std::nullopt;
}

std::string to_string(OutputFormat format) {
  switch (format) {
    case OutputFormat::kProse: return "prose";
    case OutputFormat::kBulletList: return "bullet_list";
    case OutputFormat::kJson: return "json";
    case OutputFormat::kStructuredJson: return "structured_json";
  }
  return "prose";
}

std::string SpecProblem::to_string() const {
  return line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
}

const StageSpec* PipelineSpec::find_stage(const std::string& id) const {
  auto it = std::find_if(stages.begin(), stages.end(), [&](const StageSpec& s) { return s.id == id; });
  return it == stages.end() ? nullptr : &*it;
}

const HandoffSpec* PipelineSpec::find_handoff(const std::string& from, const std::string& to) const {
  auto it = std::find_if(handoffs.begin(), handoffs.end(),
                         [&](const HandoffSpec& h) { return h.from == from && h.to == to; });
  return it == handoffs.end() ? nullptr : &*it;
}

std::vector<std::pair<std::string, std::string>> PipelineSpec::edges() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < stages.size(); ++i) out.emplace_back(stages[i].id, stages[i + 1].id);
  return out;
}

int PipelineSpec::turn_cap() const {
  if (max_total_turns) return *max_total_turns;
  return std::accumulate(stages.begin(), stages.end(), 0,
                         [](int sum, const StageSpec& s) { return sum + s.max_turns; });
}

std::string PipelineSpec::topology() const {
  std::string out;
  for (const auto& s : stages) out += (out.empty() ? "" : "→") + s.id;
  return out;
}

std::string PipelineSpec::model_for(const StageSpec& stage, const std::string& run_model) const {
  if (!stage.model.empty()) return stage.model;
  if (!model.empty()) return model;
  return run_model;
}

double PipelineSpec::cost_usd(const std::string& model_name, long long prompt_tokens,
                              long long completion_tokens) const {
  auto it = pricing.find(model_name);
  if (it == pricing.end()) return 0.0;
  return (static_cast<double>(prompt_tokens) * it->second.input_per_mtok +
          static_cast<double>(completion_tokens) * it->second.output_per_mtok) / 1e6;
}

std::vector<SpecProblem> validate(const PipelineSpec& spec, const std::set<std::string>& known_tools) {
  std::vector<SpecProblem> problems = spec.parse_problems;
  auto add = [&](int line, std::string message) {
    problems.push_back({spec.file, line, std::move(message)});
  };

  std::map<std::string, int> seen;
  for (const StageSpec& stage : spec.stages) {
    const std::string name = stage.id.empty() ? "a stage" : "stage '" + stage.id + "'";
    if (stage.id.empty()) {
      add(stage.line, "a stage has no id");
    } else if (!valid_id(stage.id)) {
      add(stage.line, name + ": an id may hold letters, digits, '_', '-' and '.' only");
    } else if (auto [it, inserted] = seen.emplace(stage.id, stage.line); !inserted) {
      add(stage.line, "duplicate stage id '" + stage.id + "' (first at line " +
                          std::to_string(it->second) + ")");
    }
    if (stage.system_prompt.find_first_not_of(" \t\r\n") == std::string::npos) {
      add(stage.line, name + " has an empty system_prompt");
    }
    for (const std::string& tool : stage.tools) {
      if (!known_tools.contains(tool)) {
        add(stage.line, name + ": unknown tool '" + tool + "' (known: " + joined(known_tools) + ")");
      }
    }
  }

  if (spec.max_total_turns) {
    int sum = std::accumulate(spec.stages.begin(), spec.stages.end(), 0,
                              [](int s, const StageSpec& st) { return s + st.max_turns; });
    if (sum > *spec.max_total_turns) {
      add(spec.max_total_turns_line, "the stages' max_turns add up to " + std::to_string(sum) + ", over max_total_turns " +
                 std::to_string(*spec.max_total_turns) +
                 ": lower a stage's max_turns or raise max_total_turns");
    }
  }

  const auto edges = spec.edges();
  for (const HandoffSpec& h : spec.handoffs) {
    bool unknown = false;
    for (const std::string& id : {h.from, h.to}) {
      if (!spec.find_stage(id)) {
        add(h.line, "handoff '" + h.key() + "': no stage '" + id + "'");
        unknown = true;
      }
    }
    if (unknown) continue;
    if (std::find(edges.begin(), edges.end(), std::make_pair(h.from, h.to)) == edges.end()) {
      add(h.line, "handoff '" + h.key() + "' does not connect adjacent stages (the pipeline runs " +
                      spec.topology() + ")");
    }
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const SpecProblem& a, const SpecProblem& b) { return a.line < b.line; });
  return problems;
}

std::vector<SpecProblem> validate(const PipelineSpec& spec) {
  return validate(spec, ToolRegistry::builtin().names());
}

PipelineSpec load_valid_pipeline_spec(const std::string& path) {
  PipelineSpec spec = load_pipeline_spec(path);
  std::vector<SpecProblem> problems = validate(spec);
  if (problems.empty()) return spec;
  std::string message = path + " is not a valid pipeline spec:";
  for (const auto& p : problems) message += "\n  " + p.to_string();
  throw FileError(message);
}

PipelineSpec single_agent_spec() {
  PipelineSpec spec;
  spec.file = "(single-agent baseline)";
  StageSpec stage;
  stage.id = "agent";
  stage.system_prompt = prompts::kSingleAgentSystemPrompt;
  stage.tools = {"run_shell", "read_file", "write_file"};
  stage.max_turns = 30;
  spec.stages.push_back(stage);
  spec.max_total_turns = 30;
  return spec;
}

}  // namespace autoswarm::bench
