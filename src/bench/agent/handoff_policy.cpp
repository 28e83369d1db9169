// Applies a handoff: raw, unchanged, compressed by one LLM call, or truncated with a marker.
#include "autoswarm/bench/agent/handoff_policy.h"
#include "autoswarm/util/text.h"

#include <spdlog/spdlog.h>

#include "autoswarm/llm/client.h"
#include "autoswarm/llm/errors.h"
#include "prompts.h"

namespace autoswarm::bench {

namespace {

constexpr size_t kCharsPerToken = 4;
constexpr size_t kInstructionCap = 4000;  // characters of the task the compression call sees

std::string format_line(const std::optional<OutputFormat>& format) {
  if (!format) return "";
  switch (*format) {
    case OutputFormat::kBulletList: return "Write it as a bullet list. ";
    case OutputFormat::kJson: return "Write it as one JSON value. ";
    case OutputFormat::kStructuredJson: return "Write it as one JSON object with descriptive keys. ";
    case OutputFormat::kProse: return "Write it as prose. ";
  }
  return "";
}

// `text` cut to `max_chars` on a UTF-8 boundary, plus the marker.
std::string truncate(const std::string& text, size_t max_chars, const std::string& reason) {
  std::string marker_probe = util::fill(
      prompts::kTruncationMarker,
      {{"kept", std::to_string(max_chars)}, {"total", std::to_string(text.size())}, {"reason", reason}});
  const size_t keep =
      util::utf8_floor(text, max_chars > marker_probe.size() ? max_chars - marker_probe.size() : 0);
  return text.substr(0, keep) +
         util::fill(prompts::kTruncationMarker, {{"kept", std::to_string(keep)},
                                                    {"total", std::to_string(text.size())},
                                                    {"reason", reason}});
}

}  // namespace

int64_t estimate_tokens(const std::string& text) {
  return static_cast<int64_t>((text.size() + kCharsPerToken - 1) / kCharsPerToken);
}

nlohmann::json HandoffResult::to_json() const {
  nlohmann::json j = {{"method", method}, {"input_chars", input_chars}, {"output_chars", text.size()}};
  if (reply || !model.empty()) {
    j["model"] = model;
    j["usage"] = usage.to_json();
  }
  if (!error.empty()) j["error"] = error;
  return j;
}

HandoffPolicy::HandoffPolicy(llm::Client* client, const PipelineSpec& spec, std::string run_model)
    : client_(client), spec_(spec), run_model_(std::move(run_model)) {}

HandoffResult HandoffPolicy::apply(const HandoffSpec* handoff, const StageSpec& from,
                                   const StageSpec& to, const std::string& output,
                                   const std::string& instruction) const {
  HandoffResult result;
  result.input_chars = output.size();
  if (handoff && handoff->include_raw_output) {
    result.text = output;
    result.method = "raw";
    return result;
  }
  if (!handoff || !handoff->token_budget || estimate_tokens(output) <= *handoff->token_budget) {
    result.text = output;
    result.method = "unchanged";
    return result;
  }

  const int budget = *handoff->token_budget;
  const size_t max_chars = static_cast<size_t>(budget) * kCharsPerToken;
  result.model = spec_.model_for(to, run_model_);
  if (!client_) {
    result.error = "no LLM client for compression";
  } else {
    llm::ChatRequest request;
    request.model = result.model;
    request.messages = nlohmann::json::array(
        {{{"role", "system"},
          {"content", util::fill(prompts::kHandoffCompressionSystem,
                                    {{"budget", std::to_string(budget)},
                                     {"chars", std::to_string(max_chars)},
                                     {"format", format_line(handoff->format)}})}},
         {{"role", "user"},
          {"content", util::fill(prompts::kHandoffCompressionUser,
                                    {{"instruction", instruction.substr(0, kInstructionCap)},
                                     {"next_stage", to.id},
                                     {"next_role", to.system_prompt},
                                     {"stage", from.id},
                                     {"output", output}})}}});
    try {
      llm::ChatResponse reply = client_->chat(request);
      result.usage = TokenUsage::from(
          reply.usage, spec_.cost_usd(result.model, reply.usage.prompt_tokens,
                                      reply.usage.completion_tokens));
      result.reply = reply;
      if (reply.content.find_first_not_of(" \t\r\n") == std::string::npos) {
        result.error = "the compression call replied with no text";
      } else {
        result.method = "compressed";
        result.text = reply.content.size() <= max_chars
                          ? reply.content
                          : truncate(reply.content, max_chars, "over budget");
        return result;
      }
    } catch (const Error& e) {
      result.error = std::string("compression call failed: ") + e.what();
    }
  }
  spdlog::debug("handoff {}: {}; truncating", handoff->key(), result.error);
  result.method = "truncated";
  result.text = truncate(output, max_chars, "compression failed");
  return result;
}

}  // namespace autoswarm::bench
