// A YAML value as JSON, for YAML files that carry JSON documents (a custom tool's JSON-schema
// parameters in pipeline_spec.yaml, tool-call arguments in the fake upstream's script).
#pragma once

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace autoswarm::util {

// Quoted scalars stay strings; plain scalars become null / bool / integer / float when they
// look like one (YAML 1.2 core schema); maps keep their key order; an empty key is "null".
// A key that is itself a list or a map has no JSON form: std::invalid_argument, whose message
// says so (callers name the field).
nlohmann::ordered_json yaml_to_json(const YAML::Node& node);

}  // namespace autoswarm::util
