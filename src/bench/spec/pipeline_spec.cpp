// Reads pipeline_spec.yaml with yaml-cpp into a PipelineSpec, collecting every problem (YAML
// syntax, unknown fields, wrong types) with its line instead of stopping at the first.
#include "autoswarm/bench/spec/pipeline_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/text.h"
#include "autoswarm/util/yaml_json.h"

namespace autoswarm::bench {

namespace {

class SpecParser {
 public:
  explicit SpecParser(PipelineSpec& spec) : spec_(spec) {}

  void parse_root(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      problem(root, "the file is empty: it needs a `pipeline:` mapping");
      return;
    }
    if (!expect_map(root, "the top level")) return;
    check_keys(root, "the top level", {"pipeline"});
    YAML::Node pipeline = root["pipeline"];
    if (!pipeline) {
      problem(root, "missing `pipeline:` (the spec's fields live under it)");
      return;
    }
    if (!expect_map(pipeline, "pipeline")) return;
    check_keys(pipeline, "pipeline",
               {"model", "max_total_turns", "tools", "stages", "handoffs", "pricing", "name",
                "description"});
    scalar(pipeline["model"], "pipeline.model", spec_.model);
    if (YAML::Node n = pipeline["max_total_turns"]) {
      int value = 0;
      if (positive_int(n, "pipeline.max_total_turns", value)) spec_.max_total_turns = value;
      spec_.max_total_turns_line = line_of(n);
    }
    parse_tools(pipeline["tools"]);
    parse_stages(pipeline["stages"], pipeline);
    parse_handoffs(pipeline["handoffs"]);
    parse_pricing(pipeline["pricing"]);
  }

 private:
  void parse_stages(const YAML::Node& stages, const YAML::Node& pipeline) {
    if (!stages || stages.IsNull()) {
      problem(stages ? stages : pipeline, "pipeline.stages is missing: a pipeline needs at least one stage");
      return;
    }
    if (!stages.IsSequence()) {
      problem(stages, "pipeline.stages must be a list of stages");
      return;
    }
    if (stages.size() == 0) {
      // A pipeline without a stage would write a trajectory with no steps, which ATIF forbids.
      problem(stages, "pipeline.stages is empty: a pipeline needs at least one stage");
      return;
    }
    int groups = 0;
    for (size_t i = 0; i < stages.size(); ++i) {
      const YAML::Node node = stages[i];
      const std::string where = "pipeline.stages[" + std::to_string(i) + "]";
      if (!expect_map(node, where)) continue;
      if (YAML::Node branches = node["parallel"]) {
        check_keys(node, where, {"parallel"});
        if (!branches.IsSequence()) {
          problem(branches, where + ".parallel must be a list of stages (the branches)");
          continue;
        }
        ++groups;
        for (size_t b = 0; b < branches.size(); ++b) {
          const std::string branch_where = where + ".parallel[" + std::to_string(b) + "]";
          if (!expect_map(branches[b], branch_where)) continue;
          parse_stage(branches[b], branch_where, groups);
        }
        continue;
      }
      parse_stage(node, where, 0);
    }
  }

  void parse_stage(const YAML::Node& node, std::string where, int group) {
    StageSpec stage;
    stage.line = line_of(node);
    stage.group = group;
    scalar(node["id"], where + ".id", stage.id);
    if (!stage.id.empty()) where = "stage '" + stage.id + "'";
    check_keys(node, where,
               {"id", "system_prompt", "tools", "max_turns", "output_format", "model",
                "description", "verdict", "on_fail", "max_retries", "choice", "as_tool"});
    scalar(node["system_prompt"], where + ".system_prompt", stage.system_prompt);
    scalar(node["model"], where + ".model", stage.model);
    if (YAML::Node n = node["max_turns"]) positive_int(n, where + ".max_turns", stage.max_turns);
    if (YAML::Node n = node["output_format"]) output_format(n, where + ".output_format", stage.output_format);
    if (YAML::Node tools = node["tools"]) string_list(tools, where + ".tools", stage.tools);
    if (YAML::Node n = node["verdict"]) {
      VerdictSpec verdict;
      verdict.line = line_of(n);
      if (auto reading = output_reading(n, where + ".verdict")) verdict.reading = *reading;
      scalar(node["on_fail"], where + ".on_fail", verdict.on_fail);
      if (YAML::Node r = node["max_retries"]) {
        int retries = 0;
        if (scalar(r, where + ".max_retries", retries)) {
          if (retries < 0) problem(r, where + ".max_retries must not be negative");
          else verdict.max_retries = retries;
        }
      }
      stage.verdict = verdict;
    } else {
      for (const char* key : {"on_fail", "max_retries"}) {
        if (node[key]) {
          problem(node[key], where + "." + key + " needs a verdict: (on_fail and max_retries "
                                 "act on a FAIL verdict)");
        }
      }
    }
    if (YAML::Node n = node["choice"]) stage.choice = output_reading(n, where + ".choice");
    if (YAML::Node n = node["as_tool"]) {
      std::string description;
      if (scalar(n, where + ".as_tool", description)) stage.as_tool = description;
    }
    spec_.stages.push_back(std::move(stage));
  }

  // `last_line`, or {json_field: name}.
  std::optional<OutputReading> output_reading(const YAML::Node& node, const std::string& where) {
    OutputReading reading;
    reading.line = line_of(node);
    if (node.IsScalar() && node.Scalar() == "last_line") return reading;
    if (node.IsMap() && node.size() == 1 && node["json_field"]) {
      if (scalar(node["json_field"], where + ".json_field", reading.json_field) &&
          !reading.json_field.empty()) {
        return reading;
      }
    }
    problem(node, where + " must be last_line or {json_field: <name>}");
    return std::nullopt;
  }

  void parse_tools(const YAML::Node& tools) {
    if (!tools || tools.IsNull()) return;
    if (!tools.IsSequence()) {
      problem(tools, "pipeline.tools must be a list of tools");
      return;
    }
    for (size_t i = 0; i < tools.size(); ++i) {
      const YAML::Node node = tools[i];
      std::string where = "pipeline.tools[" + std::to_string(i) + "]";
      if (!expect_map(node, where)) continue;
      CustomToolSpec tool;
      tool.line = line_of(node);
      scalar(node["name"], where + ".name", tool.name);
      if (!tool.name.empty()) where = "tool '" + tool.name + "'";
      check_keys(node, where,
                 {"name", "description", "parameters", "command", "stdin", "timeout_sec",
                  "max_output_chars"});
      scalar(node["description"], where + ".description", tool.description);
      if (YAML::Node n = node["parameters"]) {
        try {
          tool.parameters = nlohmann::json(util::yaml_to_json(n));
        } catch (const std::invalid_argument& e) {
          problem(n, where + ".parameters is not a JSON schema: " + e.what());
        }
      }
      if (YAML::Node n = node["command"]) string_list(n, where + ".command", tool.command);
      scalar(node["stdin"], where + ".stdin", tool.stdin_argument);
      if (YAML::Node n = node["timeout_sec"]) positive_int(n, where + ".timeout_sec", tool.timeout_sec);
      if (YAML::Node n = node["max_output_chars"]) {
        positive_int(n, where + ".max_output_chars", tool.max_output_chars);
      }
      spec_.tools.push_back(std::move(tool));
    }
  }

  void parse_handoffs(const YAML::Node& handoffs) {
    if (!handoffs || handoffs.IsNull()) return;
    if (!expect_map(handoffs, "pipeline.handoffs")) return;
    for (const auto& entry : handoffs) {
      std::string key;
      if (!scalar(entry.first, "pipeline.handoffs key", key)) continue;
      const std::string where = "handoff '" + key + "'";
      HandoffSpec h;
      h.line = line_of(entry.first);
      auto split = [&](const std::string& arrow) {
        size_t at = key.find(arrow);
        if (at == std::string::npos) return false;
        h.from = util::trim(key.substr(0, at));
        h.to = util::trim(key.substr(at + arrow.size()));
        return true;
      };
      if (!(split("→") || split("->")) || h.from.empty() || h.to.empty()) {
        problem(entry.first, where + ": a handoff key names two stages, 'from→to' or 'from->to'");
        continue;
      }
      const YAML::Node& body = entry.second;
      if (!body.IsNull()) {
        if (!expect_map(body, where)) continue;
        check_keys(body, where, {"token_budget", "format", "include_raw_output"});
        if (YAML::Node n = body["token_budget"]) {
          int budget = 0;
          if (positive_int(n, where + ".token_budget", budget)) h.token_budget = budget;
        }
        if (YAML::Node n = body["format"]) {
          OutputFormat format{};
          if (output_format(n, where + ".format", format)) h.format = format;
        }
        if (YAML::Node n = body["include_raw_output"]) {
          scalar(n, where + ".include_raw_output", h.include_raw_output);
        }
      }
      for (const HandoffSpec& other : spec_.handoffs) {
        if (other.from == h.from && other.to == h.to) {
          problem(entry.first, where + ": duplicate handoff (also at line " +
                                   std::to_string(other.line) + ")");
        }
      }
      spec_.handoffs.push_back(std::move(h));
    }
  }

  void parse_pricing(const YAML::Node& pricing) {
    if (!pricing || pricing.IsNull()) return;
    if (!expect_map(pricing, "pipeline.pricing")) return;
    for (const auto& entry : pricing) {
      std::string model;
      if (!scalar(entry.first, "pipeline.pricing key", model)) continue;
      const std::string where = "pipeline.pricing." + model;
      if (!expect_map(entry.second, where)) continue;
      check_keys(entry.second, where, {"input_per_mtok", "output_per_mtok"});
      ModelPrice price;
      non_negative(entry.second["input_per_mtok"], where + ".input_per_mtok", price.input_per_mtok);
      non_negative(entry.second["output_per_mtok"], where + ".output_per_mtok",
                   price.output_per_mtok);
      spec_.pricing[model] = price;
    }
  }

  // --- typed reads: each records a problem and returns false on a bad value

  template <typename T>
  bool scalar(const YAML::Node& node, const std::string& where, T& out) {
    if (!node || node.IsNull()) return false;  // `key:` with no value: as if absent
    if (!node.IsScalar()) {
      problem(node, where + " must be a " + kind<T>());
      return false;
    }
    try {
      out = node.as<T>();
      return true;
    } catch (const YAML::Exception&) {
      problem(node, where + " must be a " + kind<T>() + ", not '" + node.Scalar() + "'");
      return false;
    }
  }

  void string_list(const YAML::Node& node, const std::string& where, std::vector<std::string>& out) {
    if (!node.IsSequence()) {
      problem(node, where + " must be a list of strings");
      return;
    }
    for (const YAML::Node& item : node) {
      std::string value;
      if (scalar(item, where, value)) out.push_back(value);
    }
  }

  bool positive_int(const YAML::Node& node, const std::string& where, int& out) {
    int value = 0;
    if (!scalar(node, where, value)) return false;
    if (value <= 0) {
      problem(node, where + " must be greater than 0");
      return false;
    }
    out = value;
    return true;
  }

  bool output_format(const YAML::Node& node, const std::string& where, OutputFormat& out) {
    std::string name;
    if (!scalar(node, where, name)) return false;
    std::optional<OutputFormat> format = parse_output_format(name);
    if (!format) {
      problem(node, where + ": unknown format '" + name + "' (one of prose, bullet_list, json, structured_json)");
      return false;
    }
    out = *format;
    return true;
  }

  void non_negative(const YAML::Node& node, const std::string& where, double& out) {
    double value = 0;
    if (!scalar(node, where, value)) return;
    if (value < 0) problem(node, where + " must not be negative");
    else out = value;
  }

  template <typename T>
  static std::string kind() {
    if constexpr (std::is_same_v<T, int>) return "whole number";
    else if constexpr (std::is_same_v<T, double>) return "number";
    else if constexpr (std::is_same_v<T, bool>) return "true or false";
    else return "string";
  }

  bool expect_map(const YAML::Node& node, const std::string& where) {
    if (node.IsMap()) return true;
    problem(node, where + " must be a mapping of fields");
    return false;
  }

  void check_keys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<const char*> known) {
    for (const auto& entry : map) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
      if (ok) continue;
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      problem(entry.first, where + ": unknown field '" + key + "' (known: " + list + ")");
    }
  }

  static int line_of(const YAML::Node& node) {
    if (!node.IsDefined()) return 0;
    return node.Mark().is_null() ? 0 : node.Mark().line + 1;
  }

  void problem(const YAML::Node& node, const std::string& message) {
    spec_.parse_problems.push_back({spec_.file, line_of(node), message});
  }

  PipelineSpec& spec_;
};

// Every key and value under `node` that is not UTF-8, as a problem naming its place
// ("pipeline.stages[1].prompt"): the spec's strings travel in JSON (prompts, tool schemas),
// which holds only UTF-8, and a user can fix a field, not a "byte 1234".
void find_non_utf8(const YAML::Node& node, const std::string& where, PipelineSpec& spec) {
  const auto check = [&](const YAML::Node& scalar, const std::string& place) {
    const std::string& text = scalar.Scalar();
    const size_t valid = util::utf8_valid_prefix(text);
    if (valid == text.size()) return;
    spec.parse_problems.push_back(
        {spec.file, scalar.Mark().is_null() ? 0 : scalar.Mark().line + 1,
         place + " is not UTF-8 (byte " + std::to_string(valid) + " of its text): save the file as UTF-8"});
  };
  if (node.IsScalar()) {
    check(node, where);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) find_non_utf8(node[i], where + "[" + std::to_string(i) + "]", spec);
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      // A key that is empty (null) or a list or map still has a value to check: a value is
      // never skipped because of its key (its text would reach JSON unchecked).
      const std::string key = kv.first.IsScalar() ? util::valid_utf8(kv.first.Scalar()) : "<key>";
      const std::string place = where.empty() ? key : where + "." + key;
      if (kv.first.IsScalar()) check(kv.first, "the key " + place);
      else find_non_utf8(kv.first, "the key " + place, spec);
      find_non_utf8(kv.second, place, spec);
    }
  }
}

}  // namespace

PipelineSpec parse_pipeline_spec(const std::string& yaml_text, const std::string& file_name) {
  PipelineSpec spec;
  spec.file = file_name;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    spec.parse_problems.push_back(
        {file_name, e.mark.is_null() ? 0 : e.mark.line + 1, "not valid YAML: " + e.msg});
    return spec;
  }
  find_non_utf8(root, "", spec);
  if (!spec.parse_problems.empty()) return spec;
  SpecParser(spec).parse_root(root);
  return spec;
}

PipelineSpec load_pipeline_spec(const std::string& path) {
  return parse_pipeline_spec(util::read_file(path), path);
}

}  // namespace autoswarm::bench
