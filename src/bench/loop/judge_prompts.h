// The prompts of the per-stage judge (`bench eval`), in one place so they are easy to read and
// tune. {placeholders} are filled with util::fill (util/text.h).
#pragma once

#include <string_view>

namespace autoswarm::bench::prompts {

inline constexpr std::string_view kJudgeSystem =
    "You are a strict, fair judge of one stage of a multi-stage agent pipeline that works on a "
    "software task inside a container. You score ONE stage's output from 0.0 (useless or wrong) to "
    "1.0 (exactly what was needed). Judge only what the output says and does; do not reward length. "
    "Answer with one JSON object and nothing else:\n"
    "{\"score\": <number 0.0-1.0>, \"missing\": \"<what was needed but absent or wrong; empty if "
    "nothing>\", \"assessment\": \"<one or two sentences>\"}";

// A stage whose output another stage consumed.
inline constexpr std::string_view kJudgeHandoffUser =
    "THE TASK:\n{task}\n\n"
    "THE STAGE BEING JUDGED: {stage}\nITS ROLE (its system prompt):\n{role}\n\n"
    "WHAT IT WAS GIVEN (context from earlier stages, possibly shortened):\n{input}\n\n"
    "ITS OUTPUT:\n{output}\n\n"
    "THE NEXT STAGE, WHICH RECEIVED THIS OUTPUT: {next_stage}\nITS ROLE (its system prompt):\n"
    "{next_role}\n\n"
    "Score how well the output equips the next stage to do its role for this task: correct, "
    "specific (files, commands, identifiers, numbers), complete, and nothing the next stage would "
    "have to rediscover. Reply with the JSON object only.";

// The last stage executed: does it resolve the task?
inline constexpr std::string_view kJudgeFinalUser =
    "THE TASK:\n{task}\n\n"
    "THE STAGE BEING JUDGED (the final stage): {stage}\nITS ROLE (its system prompt):\n{role}\n\n"
    "WHAT IT WAS GIVEN (context from earlier stages, possibly shortened):\n{input}\n\n"
    "ITS OUTPUT:\n{output}\n\n"
    "Score whether this output shows the task correctly and completely resolved: the work the task "
    "asks for done and checked, no requirement skipped, no unsupported claims of success. Reply "
    "with the JSON object only.";

// Shown where a text was cut to fit the judge's prompt.
inline constexpr std::string_view kJudgeCutMarker = "\n[... {omitted} characters omitted ...]\n";

// Shown for an empty text.
inline constexpr std::string_view kJudgeEmpty = "(empty)";

}  // namespace autoswarm::bench::prompts
