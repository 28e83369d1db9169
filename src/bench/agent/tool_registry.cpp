// The registry of agent tools: schemas for the model, argument checks, and dispatch that turns
// every failure the model can cause or recover from into a tool result.
#include "autoswarm/bench/agent/tool_registry.h"
#include "autoswarm/util/text.h"

#include <algorithm>

#include "prompts.h"

namespace autoswarm::bench {

using nlohmann::json;

namespace {

// The part of JSON schema the models get wrong in practice: a non-object, missing required
// fields, and basic types of the declared properties.
std::string check_arguments(const json& args, const json& schema) {
  if (!args.is_object()) return "expected a JSON object, got " + std::string(args.type_name());
  if (schema.contains("required")) {
    for (const auto& name : schema["required"]) {
      if (name.is_string() && !args.contains(name.get<std::string>())) {
        return "missing required argument '" + name.get<std::string>() + "'";
      }
    }
  }
  if (!schema.contains("properties")) return "";
  for (const auto& [name, value] : args.items()) {
    if (!schema["properties"].contains(name)) continue;
    const std::string type = schema["properties"][name].value("type", "");
    bool ok = type.empty() || (type == "string" && value.is_string()) ||
              (type == "integer" && value.is_number_integer()) ||
              (type == "number" && value.is_number()) || (type == "boolean" && value.is_boolean()) ||
              (type == "object" && value.is_object()) || (type == "array" && value.is_array());
    if (!ok) return "argument '" + name + "' must be of type " + type;
  }
  return "";
}

}  // namespace

const ToolRegistry& ToolRegistry::builtin() {
  static const ToolRegistry registry = [] {
    ToolRegistry r;
    r.add(run_shell_tool());
    r.add(read_file_tool());
    r.add(write_file_tool());
    return r;
  }();
  return registry;
}

void ToolRegistry::add(ToolDefinition tool) {
  if (tool.name.empty() || !tool.run) throw Error("a tool needs a name and a run function");
  if (tool.parameters.is_null()) tool.parameters = {{"type", "object"}, {"properties", json::object()}};
  auto it = std::find_if(tools_.begin(), tools_.end(),
                         [&](const ToolDefinition& t) { return t.name == tool.name; });
  if (it != tools_.end()) *it = std::move(tool);
  else tools_.push_back(std::move(tool));
}

const ToolDefinition* ToolRegistry::find(const std::string& name) const {
  auto it = std::find_if(tools_.begin(), tools_.end(),
                         [&](const ToolDefinition& t) { return t.name == name; });
  return it == tools_.end() ? nullptr : &*it;
}

std::set<std::string> ToolRegistry::names() const {
  std::set<std::string> out;
  for (const auto& t : tools_) out.insert(t.name);
  return out;
}

json ToolRegistry::schemas(const std::vector<std::string>& names) const {
  json out = json::array();
  for (const auto& name : names) {
    const ToolDefinition* tool = find(name);
    if (!tool) continue;
    out.push_back({{"type", "function"},
                   {"function",
                    {{"name", tool->name},
                     {"description", tool->description},
                     {"parameters", tool->parameters}}}});
  }
  return out;
}

ToolResult ToolRegistry::call(const llm::ToolCall& call, ToolContext& ctx) const {
  const ToolDefinition* tool = find(call.name);
  if (!tool) {
    std::string list;
    for (const auto& t : tools_) list += (list.empty() ? "" : ", ") + t.name;
    return {util::fill(prompts::kUnknownTool, {{"name", call.name}, {"tools", list}}), true};
  }
  auto bad_arguments = [&](const std::string& reason) {
    return ToolResult{util::fill(prompts::kBadArguments, {{"name", call.name}, {"reason", reason}}),
                      true};
  };
  if (!call.arguments_ok()) return bad_arguments(call.arguments_error);
  json args = call.parsed_arguments.is_null() ? json::object() : call.parsed_arguments;
  if (std::string problem = check_arguments(args, tool->parameters); !problem.empty()) {
    return bad_arguments(problem);
  }
  try {
    ToolResult result = tool->run(args, ctx);
    result.content = util::valid_utf8(result.content);  // any bytes in; UTF-8 to the model
    return result;
  } catch (const EnvironmentGone&) {
    throw;
  } catch (const std::exception& e) {
    return {"error: " + call.name + " failed: " + e.what(), true};
  }
}

std::string cap_output(const std::string& text, size_t max_chars, size_t whole_size) {
  if (text.size() <= max_chars) return text;
  const size_t head = max_chars * 2 / 3;
  const size_t tail = max_chars - head;
  // Do not cut a UTF-8 sequence in half: move the cuts onto character starts.
  size_t h = head;
  while (h > 0 && (static_cast<unsigned char>(text[h]) & 0xC0) == 0x80) --h;
  size_t t = text.size() - tail;
  while (t < text.size() && (static_cast<unsigned char>(text[t]) & 0xC0) == 0x80) ++t;
  // The middle an environment already left out counts as omitted too.
  size_t omitted = whole_size > text.size() ? whole_size - h - (text.size() - t) : t - h;
  return text.substr(0, h) + "\n[... " + std::to_string(omitted) + " characters omitted ...]\n" +
         text.substr(t);
}

std::string describe_exec_result(const ExecResult& r, size_t max_chars,
                                 std::chrono::milliseconds timeout) {
  std::string out =
      "STDOUT:\n" + (r.out.empty() ? "(empty)" : cap_output(r.out, max_chars, r.out_bytes));
  if (!out.ends_with("\n")) out += "\n";
  out += "STDERR:\n" + (r.err.empty() ? "(empty)" : cap_output(r.err, max_chars, r.err_bytes));
  if (!out.ends_with("\n")) out += "\n";
  if (r.timed_out) {
    out += "TIMED OUT: the command was killed after " + std::to_string(timeout.count() / 1000) +
           " s\n";
  }
  out += "EXIT CODE: " + std::to_string(r.exit_code);
  return out;
}

}  // namespace autoswarm::bench
