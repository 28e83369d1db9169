// Token and cost accounting for bench agents.
#include "autoswarm/bench/agent/token_usage.h"

namespace autoswarm::bench {

TokenUsage TokenUsage::from(const llm::Usage& usage, double cost_usd) {
  TokenUsage t;
  t.prompt_tokens = usage.prompt_tokens;
  t.completion_tokens = usage.completion_tokens;
  t.cached_tokens = usage.cached_tokens.value_or(0);
  t.cost_usd = cost_usd;
  return t;
}

TokenUsage& TokenUsage::operator+=(const TokenUsage& other) {
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  cached_tokens += other.cached_tokens;
  cost_usd += other.cost_usd;
  return *this;
}

nlohmann::json TokenUsage::to_json() const {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"cached_tokens", cached_tokens},
          {"cost_usd", cost_usd}};
}

}  // namespace autoswarm::bench
