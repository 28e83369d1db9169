// Every text the bench agents send to an LLM that is not from the spec or the task, in one place
// so it is easy to read and tune. {placeholders} are filled with util::fill (util/text.h).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autoswarm::bench::prompts {

// The single-agent baseline's whole system prompt.
inline constexpr std::string_view kSingleAgentSystemPrompt = "You are an agent that executes tasks";

// The user message that starts every stage.
inline constexpr std::string_view kStageUserMessage =
    "TASK:\n{instruction}\n\nCONTEXT FROM PREVIOUS STAGES:\n{context}";

// The context of the first stage.
inline constexpr std::string_view kNoContext = "(none: this is the first stage)";

// The context of a stage called as a tool by another stage.
inline constexpr std::string_view kToolStageRequest = "=== request from {caller} ===\n{request}";

// One earlier stage's output inside the context.
inline constexpr std::string_view kContextSection = "=== {stage} ===\n{output}";

// Appended to a stage's system prompt, one per output_format.
inline constexpr std::string_view kFormatProse =
    "When you are done, give your final answer as plain prose in your last reply.";
inline constexpr std::string_view kFormatBulletList =
    "When you are done, give your final answer as a bullet list (one \"- \" line per point) in "
    "your last reply.";
inline constexpr std::string_view kFormatJson =
    "When you are done, give your final answer as one valid JSON value and nothing else in your "
    "last reply.";
inline constexpr std::string_view kFormatStructuredJson =
    "When you are done, give your final answer as one JSON object with descriptive keys (for "
    "example \"summary\", \"files\", \"commands\", \"open_issues\") and nothing else in your last "
    "reply.";

// The handoff compression call: told the next stage's role, keeps the facts verbatim.
inline constexpr std::string_view kHandoffCompressionSystem =
    "You condense the output of one stage of an agent pipeline into the context the next stage "
    "needs. Keep verbatim every identifier, file path, command, error message and number that "
    "could matter; drop repetition, chatter and dead ends. Never invent anything. Stay within "
    "{budget} tokens (about {chars} characters). {format}Reply with the condensed context only.";

inline constexpr std::string_view kHandoffCompressionUser =
    "THE TASK:\n{instruction}\n\nTHE NEXT STAGE: {next_stage}\nITS ROLE (its system prompt):\n"
    "{next_role}\n\nOUTPUT OF STAGE {stage} TO CONDENSE:\n{output}";

// When compression fails, the output is cut to the budget and this marker added.
inline constexpr std::string_view kTruncationMarker =
    "\n[handoff truncated: {kept} of {total} characters kept, {reason}]";

// Tool results that explain the model's own mistakes.
inline constexpr std::string_view kUnknownTool =
    "error: there is no tool named '{name}'. Available tools: {tools}.";
inline constexpr std::string_view kBadArguments =
    "error: the arguments of {name} are not valid: {reason}. Call {name} again with a JSON object "
    "matching its parameters.";

}  // namespace autoswarm::bench::prompts
