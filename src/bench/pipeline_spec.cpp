// Reads pipeline_spec.yaml with yaml-cpp into a PipelineSpec, collecting every problem (YAML
// syntax, unknown fields, wrong types) with its line instead of stopping at the first.
#include "autoswarm/bench/pipeline_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

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
               {"model", "max_total_turns", "stages", "handoffs", "pricing", "name", "description"});
    scalar(pipeline["model"], "pipeline.model", spec_.model);
    if (YAML::Node n = pipeline["max_total_turns"]) {
      int value = 0;
      if (positive_int(n, "pipeline.max_total_turns", value)) spec_.max_total_turns = value;
      spec_.max_total_turns_line = line_of(n);
    }
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
    for (size_t i = 0; i < stages.size(); ++i) {
      const YAML::Node node = stages[i];
      std::string where = "pipeline.stages[" + std::to_string(i) + "]";
      if (!expect_map(node, where)) continue;
      StageSpec stage;
      stage.line = line_of(node);
      scalar(node["id"], where + ".id", stage.id);
      if (!stage.id.empty()) where = "stage '" + stage.id + "'";
      check_keys(node, where,
                 {"id", "system_prompt", "tools", "max_turns", "output_format", "model",
                  "description"});
      scalar(node["system_prompt"], where + ".system_prompt", stage.system_prompt);
      scalar(node["model"], where + ".model", stage.model);
      if (YAML::Node n = node["max_turns"]) positive_int(n, where + ".max_turns", stage.max_turns);
      if (YAML::Node n = node["output_format"]) {
        std::string name;
        if (scalar(n, where + ".output_format", name)) {
          if (auto f = parse_output_format(name)) stage.output_format = *f;
          else problem(n, where + ".output_format: unknown format '" + name +
                              "' (one of prose, bullet_list, json, structured_json)");
        }
      }
      if (YAML::Node tools = node["tools"]) {
        if (!tools.IsSequence()) {
          problem(tools, where + ".tools must be a list of tool names");
        } else {
          for (const YAML::Node& t : tools) {
            std::string name;
            if (scalar(t, where + ".tools", name)) stage.tools.push_back(name);
          }
        }
      }
      spec_.stages.push_back(std::move(stage));
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
        h.from = trim(key.substr(0, at));
        h.to = trim(key.substr(at + arrow.size()));
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
          std::string name;
          if (scalar(n, where + ".format", name)) {
            if (auto f = parse_output_format(name)) h.format = *f;
            else problem(n, where + ".format: unknown format '" + name +
                                "' (one of prose, bullet_list, json, structured_json)");
          }
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

  static std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
  }

  void problem(const YAML::Node& node, const std::string& message) {
    spec_.parse_problems.push_back({spec_.file, line_of(node), message});
  }

  PipelineSpec& spec_;
};

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
  SpecParser(spec).parse_root(root);
  return spec;
}

PipelineSpec load_pipeline_spec(const std::string& path) {
  return parse_pipeline_spec(util::read_file(path), path);
}

}  // namespace autoswarm::bench
