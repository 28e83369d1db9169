// The built-in agent tools: run_shell, read_file and write_file, each a ToolDefinition that
// works through the Environment interface only.
#include <algorithm>
#include <filesystem>

#include "autoswarm/bench/agent/tool_registry.h"
#include "autoswarm/bench/spec/pipeline_spec.h"

namespace autoswarm::bench {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kShellTimeout{120000};
constexpr size_t kStreamCap = 8000;       // characters of stdout, and of stderr, the model sees
constexpr size_t kReadCap = 100000;       // characters of a file read_file returns

std::string resolve(const std::string& path, const ToolContext& ctx) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(ctx.workdir) / p;
  return p.lexically_normal().generic_string();
}

json object_schema(json properties, std::vector<std::string> required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

ToolResult run_shell(const json& args, ToolContext& ctx) {
  const std::string command = args.at("command").get<std::string>();
  milliseconds timeout = std::max(milliseconds(1), std::min(kShellTimeout, ctx.time_left));
  ExecResult r;
  try {
    r = ctx.env.exec({"bash", "-lc", command}, timeout);
  } catch (const CommandTooLongError& e) {
    return {std::string("error: ") + e.what(), true};
  } catch (const Error& e) {
    throw EnvironmentGone(ctx.env.describe() + ": " + e.what());
  }
  return {describe_exec_result(r, kStreamCap, timeout), false};
}

ToolResult read_file(const json& args, ToolContext& ctx) {
  const std::string path = resolve(args.at("path").get<std::string>(), ctx);
  std::string content;
  try {
    content = ctx.env.read_file(path, kReadCap + 1);
  } catch (const Error& e) {
    return {"error: cannot read " + path + ": " + e.what(), true};
  }
  if (content.size() > kReadCap) {
    content.resize(kReadCap);
    content += "\n[... the file is longer; only the first " + std::to_string(kReadCap) +
               " characters are shown: use run_shell with sed -n or tail for the rest ...]";
  }
  return {content, false};
}

ToolResult write_file(const json& args, ToolContext& ctx) {
  const std::string path = resolve(args.at("path").get<std::string>(), ctx);
  const std::string content = args.at("content").get<std::string>();
  try {
    ctx.env.write_file(path, content);
  } catch (const Error& e) {
    return {"error: cannot write " + path + ": " + e.what(), true};
  }
  return {"wrote " + std::to_string(content.size()) + " bytes to " + path, false};
}

}  // namespace

ToolDefinition run_shell_tool() {
  return {std::string(kRunShellTool),
          "Run a bash command in the task's environment (working directory: the task's workdir, "
          "usually /app). Returns STDOUT, STDERR and the EXIT CODE. Commands are killed after "
          "120 seconds; long outputs are shortened in the middle.",
          object_schema({{"command", {{"type", "string"}, {"description", "The bash command"}}}},
                        {"command"}),
          run_shell};
}

ToolDefinition read_file_tool() {
  return {std::string(kReadFileTool),
          "Read a text file in the task's environment. Relative paths start at the working "
          "directory.",
          object_schema({{"path", {{"type", "string"}, {"description", "File path"}}}}, {"path"}),
          read_file};
}

ToolDefinition write_file_tool() {
  return {std::string(kWriteFileTool),
          "Create or replace a file in the task's environment with the given content (parent "
          "directories are created). Relative paths start at the working directory.",
          object_schema({{"path", {{"type", "string"}, {"description", "File path"}}},
                         {"content", {{"type", "string"}, {"description", "The whole new content"}}}},
                        {"path", "content"}),
          write_file};
}

}  // namespace autoswarm::bench
