// What a parsed PipelineSpec means and whether it can run: edges, topology, turn cap, cost, and
// validate(), which lists every problem with its line.
#include <algorithm>
#include <cctype>
#include <functional>
#include <numeric>

#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/text.h"
#include "../name_table.h"

namespace autoswarm::bench {

namespace {

constexpr NameEntry<OutputFormat> kOutputFormatNames[] = {
    {OutputFormat::kProse, "prose"},
    {OutputFormat::kBulletList, "bullet_list"},
    {OutputFormat::kJson, "json"},
    {OutputFormat::kStructuredJson, "structured_json"},
};

bool valid_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  }) && id.find("->") == std::string::npos;
}

}  // namespace

std::optional<OutputFormat> parse_output_format(const std::string& name) {
  return value_in(kOutputFormatNames, name);
}

std::string to_string(OutputFormat format) {
  return std::string(name_in(kOutputFormatNames, format));
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

const CustomToolSpec* PipelineSpec::find_tool(const std::string& name) const {
  auto it = std::find_if(tools.begin(), tools.end(), [&](const CustomToolSpec& t) { return t.name == name; });
  return it == tools.end() ? nullptr : &*it;
}

std::vector<std::vector<size_t>> PipelineSpec::flow() const {
  std::vector<std::vector<size_t>> steps;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (!stages[i].in_flow()) continue;
    bool same_group = stages[i].group > 0 && !steps.empty() &&
                      stages[steps.back().front()].group == stages[i].group;
    if (same_group) steps.back().push_back(i);
    else steps.push_back({i});
  }
  return steps;
}

const StageSpec* PipelineSpec::synthesis_of(int group) const {
  const auto steps = flow();
  for (size_t s = 0; s + 1 < steps.size(); ++s) {
    if (stages[steps[s].front()].group != group) continue;
    const StageSpec& next = stages[steps[s + 1].front()];
    return next.group == 0 ? &next : nullptr;
  }
  return nullptr;
}

bool PipelineSpec::can_change_files(const StageSpec& stage) {
  return std::any_of(stage.tools.begin(), stage.tools.end(),
                     [](const std::string& t) { return t != kReadFileTool; });
}

bool PipelineSpec::isolated(int group) const {
  if (group <= 0) return false;
  return std::count_if(stages.begin(), stages.end(), [&](const StageSpec& s) {
           return s.group == group && s.in_flow() && can_change_files(s);
         }) > 1;
}

std::vector<std::pair<std::string, std::string>> PipelineSpec::edges() const {
  std::vector<std::pair<std::string, std::string>> out;
  const auto steps = flow();
  for (size_t s = 0; s + 1 < steps.size(); ++s) {
    for (size_t from : steps[s]) {
      for (size_t to : steps[s + 1]) out.emplace_back(stages[from].id, stages[to].id);
    }
  }
  for (const StageSpec& stage : stages) {
    if (stage.verdict && !stage.verdict->on_fail.empty()) {
      out.emplace_back(stage.id, stage.verdict->on_fail);
    }
  }
  return out;
}

namespace {

int sum_turns(const PipelineSpec& spec, const std::vector<std::vector<size_t>>& steps, size_t first,
              size_t last) {
  int sum = 0;
  for (size_t s = first; s <= last && s < steps.size(); ++s) {
    for (size_t i : steps[s]) sum += spec.stages[i].max_turns;
  }
  return sum;
}

// The flow step holding stage `id`; steps.size() when none does.
size_t step_of(const PipelineSpec& spec, const std::vector<std::vector<size_t>>& steps,
               const std::string& id) {
  for (size_t s = 0; s < steps.size(); ++s) {
    for (size_t i : steps[s]) {
      if (spec.stages[i].id == id) return s;
    }
  }
  return steps.size();
}

}  // namespace

int PipelineSpec::turn_cap() const {
  if (max_total_turns) return *max_total_turns;
  const auto steps = flow();
  int worst = sum_turns(*this, steps, 0, steps.size());
  for (size_t s = 0; s < steps.size(); ++s) {
    const StageSpec& stage = stages[steps[s].front()];
    if (!stage.verdict || stage.verdict->on_fail.empty()) continue;
    size_t target = step_of(*this, steps, stage.verdict->on_fail);
    if (target > s) continue;
    worst += stage.verdict->max_retries.value_or(0) * sum_turns(*this, steps, target, s);
  }
  for (const StageSpec& stage : stages) {
    if (!stage.in_flow()) worst += stage.max_turns;
  }
  return worst;
}

std::string PipelineSpec::topology() const {
  std::string out;
  for (const auto& step : flow()) {
    std::string part;
    if (stages[step.front()].group > 0) {
      for (size_t i : step) part += (part.empty() ? "[" : "|") + stages[i].id;
      part += "]";
    } else {
      part = stages[step.front()].id;
    }
    out += (out.empty() ? "" : "→") + part;
  }
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

namespace {

using json = nlohmann::json;

// What validate() checks of a custom tool's parameters: the part of JSON schema a tool call is
// checked against (tool_registry.cpp) must be well-formed.
std::string schema_problem(const json& schema) {
  static const std::set<std::string> kTypes = {"string", "integer", "number", "boolean", "object", "array"};
  if (schema.is_null()) return "";  // no parameters: an empty object
  if (!schema.is_object()) return "must be a JSON schema object";
  if (schema.value("type", "") != "object") return "must have type: object (a tool takes an object)";
  if (schema.contains("properties")) {
    if (!schema["properties"].is_object()) return "properties must be a mapping of parameter names";
    for (const auto& [name, property] : schema["properties"].items()) {
      if (!property.is_object()) return "properties." + name + " must be a schema mapping";
      if (property.contains("type") &&
          !(property["type"].is_string() && kTypes.contains(property["type"].get<std::string>()))) {
        return "properties." + name + ".type must be one of string, integer, number, boolean, object, array";
      }
    }
  }
  if (schema.contains("required")) {
    if (!schema["required"].is_array()) return "required must be a list of parameter names";
    for (const auto& name : schema["required"]) {
      if (!name.is_string() || !schema.contains("properties") ||
          !schema["properties"].contains(name.get<std::string>())) {
        return "required names '" + (name.is_string() ? name.get<std::string>() : name.dump()) +
               "', which is not in properties";
      }
    }
  }
  return "";
}

bool is_shell(const std::string& program) {
  std::string base = program.substr(program.find_last_of('/') + 1);
  return base == "sh" || base == "bash" || base == "dash" || base == "zsh" || base == "ksh";
}

void validate_custom_tool(const PipelineSpec& spec, const CustomToolSpec& tool,
                          const std::set<std::string>& known_tools,
                          const std::function<void(int, std::string)>& add) {
  const std::string name = tool.name.empty() ? "a tool" : "tool '" + tool.name + "'";
  if (tool.name.empty()) add(tool.line, "a tool in pipeline.tools has no name");
  else if (!valid_id(tool.name)) add(tool.line, name + ": a name may hold letters, digits, '_', '-' and '.' only");
  else if (known_tools.contains(tool.name)) add(tool.line, name + ": a built-in tool has that name");
  else if (spec.find_stage(tool.name)) add(tool.line, name + ": a stage has that id");
  if (tool.description.find_first_not_of(" \t\r\n") == std::string::npos) {
    add(tool.line, name + " has no description (the model chooses tools by it)");
  }
  if (std::string p = schema_problem(tool.parameters); !p.empty()) {
    add(tool.line, name + ": parameters " + p);
  }
  std::set<std::string> parameters;
  if (tool.parameters.is_object() && tool.parameters.contains("properties") &&
      tool.parameters["properties"].is_object()) {
    for (const auto& [key, value] : tool.parameters["properties"].items()) parameters.insert(key);
  }
  if (tool.command.empty() || tool.command.front().empty()) {
    add(tool.line, name + ": command is empty (an argument vector such as [wc, -l, \"{path}\"])");
  }
  size_t script_at = tool.command.size();  // the `-c` script of a shell, if any
  if (!tool.command.empty() && is_shell(tool.command.front())) {
    for (size_t i = 1; i + 1 < tool.command.size(); ++i) {
      if (tool.command[i] == "-c" || tool.command[i] == "-lc") {
        script_at = i + 1;
        break;
      }
    }
  }
  for (size_t i = 0; i < tool.command.size(); ++i) {
    const std::string& element = tool.command[i];
    for (const std::string& p : parameters) {
      const std::string placeholder = "{" + p + "}";
      if (element.find(placeholder) == std::string::npos) continue;
      if (i == script_at) {
        add(tool.line, name + ": command splices " + placeholder + " into a shell script; pass it "
                              "as an argument after the script (\"$1\") instead");
      } else if (element != placeholder) {
        add(tool.line, name + ": command element '" + element + "' must be exactly " + placeholder +
                           " (an argument is one argv element, never part of one)");
      }
    }
    if (element.size() > 2 && element.front() == '{' && element.back() == '}' &&
        !parameters.contains(element.substr(1, element.size() - 2))) {
      add(tool.line, name + ": command element " + element + " names no parameter");
    }
  }
  if (!tool.stdin_argument.empty() && !parameters.contains(tool.stdin_argument)) {
    add(tool.line, name + ": stdin names '" + tool.stdin_argument + "', which is not a parameter");
  }
}

// A stage offered as a tool that can reach itself through the stages it may call.
bool calls_itself(const PipelineSpec& spec, const std::string& start) {
  std::vector<std::string> todo{start};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const StageSpec* stage = spec.find_stage(todo.back());
    todo.pop_back();
    if (!stage) continue;
    for (const std::string& tool : stage->tools) {
      const StageSpec* callee = spec.find_stage(tool);
      if (!callee || !callee->as_tool) continue;
      if (tool == start) return true;
      if (seen.insert(tool).second) todo.push_back(tool);
    }
  }
  return false;
}

}  // namespace

std::vector<SpecProblem> validate(const PipelineSpec& spec, const std::set<std::string>& known_tools) {
  std::vector<SpecProblem> problems = spec.parse_problems;
  std::function<void(int, std::string)> add = [&](int line, std::string message) {
    problems.push_back({spec.file, line, std::move(message)});
  };

  std::set<std::string> all_tools = known_tools;
  for (const CustomToolSpec& tool : spec.tools) {
    validate_custom_tool(spec, tool, known_tools, add);
    all_tools.insert(tool.name);
  }
  for (const StageSpec& stage : spec.stages) {
    if (stage.as_tool) all_tools.insert(stage.id);
  }

  const auto steps = spec.flow();
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
      if (tool == stage.id && stage.as_tool) {
        add(stage.line, name + " is offered as a tool and lists itself as a tool: it would call itself");
      } else if (!all_tools.contains(tool)) {
        add(stage.line, name + ": unknown tool '" + tool + "' (known: " + util::join(all_tools, ", ") + ")");
      } else if (const StageSpec* callee = spec.find_stage(tool); callee && !callee->as_tool) {
        add(stage.line, name + ": tool '" + tool + "' is a stage without as_tool");
      }
    }
    if (stage.as_tool) {
      if (stage.group > 0) add(stage.line, name + ": a branch of a parallel group cannot be offered as a tool");
      if (stage.verdict || stage.choice) {
        add(stage.line, name + ": a stage offered as a tool is not in the flow: verdict and choice do not apply");
      }
      if (std::find(stage.tools.begin(), stage.tools.end(), stage.id) == stage.tools.end() &&
          calls_itself(spec, stage.id)) {
        add(stage.line, name + " is offered as a tool and can end up calling itself through the "
                               "stages it calls");
      }
      if (spec.max_total_turns && stage.max_turns > *spec.max_total_turns) {
        add(stage.line, name + ": max_turns " + std::to_string(stage.max_turns) +
                            " can never fit in max_total_turns " + std::to_string(*spec.max_total_turns));
      }
    }
    if (stage.verdict) {
      const VerdictSpec& v = *stage.verdict;
      if (stage.group > 0) {
        add(v.line, name + ": a branch of a parallel group cannot have a verdict (put the verdict "
                           "stage after the synthesis stage)");
      }
      if (!v.on_fail.empty()) {
        const StageSpec* target = spec.find_stage(v.on_fail);
        size_t here = step_of(spec, steps, stage.id);
        size_t there = step_of(spec, steps, v.on_fail);
        if (!target) {
          add(v.line, name + ": on_fail names no stage '" + v.on_fail + "'");
        } else if (!target->in_flow() || target->group > 0 || there >= here) {
          add(v.line, name + ": on_fail '" + v.on_fail + "' must be an earlier stage of the flow, "
                             "outside parallel groups");
        }
        if (!v.max_retries) {
          add(v.line, name + ": on_fail loops back without a retry limit: add max_retries");
        }
      }
    }
    if (stage.choice && !(stage.in_flow() && stage.group == 0)) {
      add(stage.choice->line, name + ": choice is for the synthesis stage after a parallel group");
    }
  }

  // Parallel groups: two or more branches and a synthesis stage after them.
  for (size_t s = 0; s < steps.size(); ++s) {
    const StageSpec& first = spec.stages[steps[s].front()];
    if (first.group == 0) {
      if (first.choice && (s == 0 || spec.stages[steps[s - 1].front()].group == 0)) {
        add(first.choice->line, "stage '" + first.id + "': choice is for the synthesis stage "
                                "right after a parallel group");
      }
      continue;
    }
    const std::string group = "the parallel group at line " + std::to_string(first.line);
    if (steps[s].size() < 2) add(first.line, group + " has one branch: a group needs two or more");
    const StageSpec* synthesis = spec.synthesis_of(first.group);
    if (!synthesis) {
      add(first.line, group + " has no synthesis stage: add a stage after it that sees every "
                              "branch's output and picks or merges");
    } else if (spec.isolated(first.group) && PipelineSpec::can_change_files(*synthesis)) {
      add(synthesis->line, "stage '" + synthesis->id + "' is the synthesis stage of branches that "
                           "each work in their own container; it runs in the state before them, so "
                           "its file changes would be lost: give it read_file or no tools");
    }
  }
  if (steps.empty() && !spec.stages.empty()) {
    add(spec.stages.front().line, "no stage is in the flow (every stage is offered as a tool)");
  }

  if (spec.max_total_turns) {
    int sum = sum_turns(spec, steps, 0, steps.size());
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

std::vector<std::string> builtin_tool_names() {
  return {std::string(kRunShellTool), std::string(kReadFileTool), std::string(kWriteFileTool)};
}

std::vector<SpecProblem> validate(const PipelineSpec& spec) {
  const std::vector<std::string> builtin = builtin_tool_names();
  return validate(spec, std::set<std::string>(builtin.begin(), builtin.end()));
}

PipelineSpec load_valid_pipeline_spec(const std::string& path) {
  PipelineSpec spec = load_pipeline_spec(path);
  std::vector<SpecProblem> problems = validate(spec);
  if (problems.empty()) return spec;
  std::string message = path + " is not a valid pipeline spec:";
  for (const auto& p : problems) message += "\n  " + p.to_string();
  throw FileError(message);
}

}  // namespace autoswarm::bench
