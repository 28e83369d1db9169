// Tokens and money spent by an agent: per model call, summed per stage and per trial.
// Cost comes from the spec's price table (PipelineSpec::cost_usd), 0 for unpriced models.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "autoswarm/llm/chat.h"

namespace autoswarm::bench {

struct TokenUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  double cost_usd = 0.0;

  static TokenUsage from(const llm::Usage& usage, double cost_usd);
  TokenUsage& operator+=(const TokenUsage& other);

  // {"prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd"}
  nlohmann::json to_json() const;
};

}  // namespace autoswarm::bench
