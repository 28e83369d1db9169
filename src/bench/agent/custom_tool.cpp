// Custom tools from pipeline.tools: placeholder substitution into an argument vector, run in the
// Environment with the tool's timeout and output cap.
#include "autoswarm/bench/agent/custom_tool.h"

#include <algorithm>

namespace autoswarm::bench {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// An argument as one argv element: a string as is, anything else as its JSON text.
std::string argument_text(const json& arguments, const std::string& name) {
  if (!arguments.is_object() || !arguments.contains(name)) return "";
  const json& value = arguments[name];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::vector<std::string> custom_tool_argv(const CustomToolSpec& spec, const json& arguments) {
  std::vector<std::string> argv;
  argv.reserve(spec.command.size());
  for (const std::string& element : spec.command) {
    if (element.size() > 2 && element.front() == '{' && element.back() == '}') {
      argv.push_back(argument_text(arguments, element.substr(1, element.size() - 2)));
    } else {
      argv.push_back(element);
    }
  }
  return argv;
}

ToolDefinition custom_tool(const CustomToolSpec& spec) {
  json parameters = spec.parameters.is_null()
                        ? json{{"type", "object"}, {"properties", json::object()}}
                        : spec.parameters;
  return {spec.name, spec.description, parameters, [spec](const json& args, ToolContext& ctx) {
            milliseconds timeout = std::max(
                milliseconds(1), std::min(milliseconds(spec.timeout_sec * 1000LL), ctx.time_left));
            const std::string input =
                spec.stdin_argument.empty() ? "" : argument_text(args, spec.stdin_argument);
            ExecResult r;
            try {
              r = ctx.env.exec(custom_tool_argv(spec, args), timeout, input);
            } catch (const CommandTooLongError& e) {
              return ToolResult{std::string("error: ") + e.what() +
                                    (spec.stdin_argument.empty()
                                         ? " (this tool takes every argument on its command line)"
                                         : ""),
                                true};
            } catch (const Error& e) {
              throw EnvironmentGone(ctx.env.describe() + ": " + e.what());
            }
            return ToolResult{
                describe_exec_result(r, static_cast<size_t>(spec.max_output_chars), timeout),
                false};
          }};
}

}  // namespace autoswarm::bench
