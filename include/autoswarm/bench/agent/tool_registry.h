// The tools a bench agent can call, by name: their JSON schemas for the model and the code that
// runs them in the Environment. Adding a tool is one ToolDefinition passed to add().
//
// call() never throws for the model's mistakes or a tool's failure: an unknown tool, arguments
// that are not JSON or miss a required field, a command that fails — all come back as a
// ToolResult with is_error set, which the agent loop hands to the model as the tool's answer.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/agent/environment.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/util/error.h"

namespace autoswarm::bench {

// Thrown by tools when the Environment itself failed (Environment::exec threw: e.g. the container
// vanished), so the agent stops with EnvironmentError instead of telling the model. A command
// that only could not start for its size (CommandTooLongError) is an `error: …` answer instead.
class EnvironmentGone : public Error {
 public:
  using Error::Error;
};

// What a tool may use while it runs.
struct ToolContext {
  Environment& env;
  std::string workdir = "/app";                       // relative paths resolve here
  std::chrono::milliseconds time_left{std::chrono::hours(1)};  // tools cap their timeouts to it
  const std::atomic<bool>* cancel = nullptr;
  // The stages executing in this chain, outermost first, the calling stage last; and the id of
  // the call. A stage offered as a tool needs them for its recursion guard and its trace.
  std::vector<std::string> callers{};
  std::string call_id{};
};

struct ToolResult {
  std::string content;  // what the model sees
  bool is_error = false;
};

struct ToolDefinition {
  std::string name;
  std::string description;
  nlohmann::json parameters;  // JSON schema of the arguments object ("required" is enforced)
  std::function<ToolResult(const nlohmann::json& arguments, ToolContext& ctx)> run;
};

class ToolRegistry {
 public:
  // run_shell, read_file and write_file.
  static const ToolRegistry& builtin();

  // Adds or replaces a tool. Throws Error for an empty name or no run function.
  void add(ToolDefinition tool);

  const ToolDefinition* find(const std::string& name) const;
  std::set<std::string> names() const;

  // The OpenAI "tools" array for `names` (in that order; unknown names are skipped).
  nlohmann::json schemas(const std::vector<std::string>& names) const;

  // Runs one call from the model. Exceptions from the tool (Error, std::exception) become an
  // error result, except an Environment that is gone (EnvironmentGone), which propagates.
  ToolResult call(const llm::ToolCall& call, ToolContext& ctx) const;

 private:
  std::vector<ToolDefinition> tools_;
};

// The built-in tools, also usable one by one.
ToolDefinition run_shell_tool();   // run_shell(command): bash -lc, 120 s, STDOUT/STDERR/exit code
ToolDefinition read_file_tool();   // read_file(path)
ToolDefinition write_file_tool();  // write_file(path, content)

// Caps `text` at `max_chars`, keeping its head and tail around "[... N characters omitted ...]".
// `whole_size`: how long the output really was when `text` already lacks part of its middle
// (ExecResult::out_bytes), so that N counts that part too; 0: `text` is all of it.
std::string cap_output(const std::string& text, size_t max_chars, size_t whole_size = 0);

// What the model sees of a command it ran: "STDOUT:\n...\nSTDERR:\n...\n" (each stream capped
// at `max_chars`, "(empty)" when empty), "TIMED OUT: ..." when it was killed after `timeout`,
// and "EXIT CODE: n". Used by run_shell and the custom tools.
std::string describe_exec_result(const ExecResult& result, size_t max_chars,
                                 std::chrono::milliseconds timeout);

}  // namespace autoswarm::bench
