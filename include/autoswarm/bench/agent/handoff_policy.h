// What one stage's output becomes as context for the next stage (the spec's `a→b` handoff):
// raw, unchanged when it fits the token budget, else compressed by one LLM call or truncated.
//
// Rules, in order:
//   1. include_raw_output            → the output as it is                      (method "raw")
//   2. no token_budget, or it fits   → unchanged (≈4 characters a token)        ("unchanged")
//   3. one compression call, told the next stage's role, keeping identifiers, paths, errors and
//      numbers verbatim; its reply is cut to the budget if still too long    ("compressed")
//   4. that call failed or replied nothing → the output cut to the budget plus a marker
//      naming the reason                                                      ("truncated")
#pragma once

#include <optional>
#include <string>

#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/bench/agent/token_usage.h"
#include "autoswarm/llm/chat.h"

namespace autoswarm::llm {
class Client;
}

namespace autoswarm::bench {

// ≈ characters / 4, rounded up.
int64_t estimate_tokens(const std::string& text);

struct HandoffResult {
  std::string text;                           // the context the next stage gets
  std::string method;                         // "raw" | "unchanged" | "compressed" | "truncated"
  size_t input_chars = 0;
  std::string model;                          // of the compression call, when one was made
  std::optional<llm::ChatResponse> reply;     // the compression call's reply, when it answered
  TokenUsage usage;                           // of the compression call
  std::string error;                          // why compression failed ("truncated")

  nlohmann::json to_json() const;             // {method, input_chars, output_chars, usage?, error?}
};

class HandoffPolicy {
 public:
  // `client` may be null: compression then always falls back to truncation.
  HandoffPolicy(llm::Client* client, const PipelineSpec& spec, std::string run_model);

  // Hands `output` of stage `from` to stage `to`; `handoff` is the spec's entry (null: none,
  // i.e. unchanged). `instruction` is the task, which the compression call sees too.
  HandoffResult apply(const HandoffSpec* handoff, const StageSpec& from, const StageSpec& to,
                      const std::string& output, const std::string& instruction) const;

 private:
  llm::Client* client_;
  const PipelineSpec& spec_;
  std::string run_model_;
};

}  // namespace autoswarm::bench
