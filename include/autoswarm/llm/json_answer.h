// Reading a JSON answer out of what a model actually wrote: the whole reply, a ```json fenced
// block, or an object after (or between) prose — with <think> blocks dropped and the usual slips
// of small models (comments, trailing commas) forgiven. Used by reflect and the bench judge.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autoswarm::llm {

// Which candidates count as the answer (e.g. "an object with a 'lesson' key"). Empty: any
// JSON object or array.
using JsonAnswerFilter = std::function<bool(const nlohmann::json&)>;

struct JsonAnswer {
  std::optional<nlohmann::json> value;  // the answer, when one was found
  std::string error;                    // otherwise why not, for the verbose log
};

// Finds the answer in `reply`, trying in order: the whole text; each fenced code block; each
// balanced {...} or [...] in the text, first to last. The first candidate that parses (as-is,
// else after removing trailing commas) and passes `accept` wins. Never throws.
JsonAnswer find_json_answer(std::string_view reply, const JsonAnswerFilter& accept = {});

}  // namespace autoswarm::llm
