// A tool declared in pipeline.tools (CustomToolSpec) as a ToolDefinition the agent loop can call.
//
//   tools:
//     - name: count_words
//       description: "Count the words of a file."
//       parameters: {type: object, properties: {path: {type: string}}, required: [path]}
//       command: [wc, -w, "{path}"]
//
// A call {"path": "a b; rm -rf /"} runs exactly argv ["wc", "-w", "a b; rm -rf /"] in the task's
// environment: each "{name}" element is replaced by that argument as one element (a string as is,
// another JSON value as its JSON text, a missing one as ""), and `stdin` names an argument written
// to the command's standard input. No shell sees the arguments unless the command itself runs one
// with them as positional parameters ([sh, -c, 'wc -w "$1"', sh, "{path}"]).
//
// The command is killed after timeout_sec (capped to the time the agent has left); the model sees
// STDOUT, STDERR (each cut to max_output_chars) and the exit code, as run_shell shows them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/bench/agent/tool_registry.h"

namespace autoswarm::bench {

// The argument vector of one call: `spec.command` with the placeholders replaced from `arguments`.
std::vector<std::string> custom_tool_argv(const CustomToolSpec& spec, const nlohmann::json& arguments);

// The tool. Its run throws EnvironmentGone when the environment itself fails.
ToolDefinition custom_tool(const CustomToolSpec& spec);

}  // namespace autoswarm::bench
