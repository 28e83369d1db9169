// A logged conversation as the text the reflect prompts show the model: one labelled block per
// message, then the reply — cut to a bounded size that small local models handle, keeping the
// start (what was asked) and the end (how it went) and saying how much was left out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "autoswarm/conversations/conversation_files.h"

namespace autoswarm::reflect {

// The label of the logged reply's block in the transcripts reflect's prompts show.
inline constexpr std::string_view kReviewedReplyLabel = "assistant (the reply being reviewed)";

// The conversation as "[user]\n…\n\n[assistant]\n…" blocks ending with the logged reply (under
// `reply_label`), at most `max_chars` bytes. A long system prompt gets at most a quarter of the
// budget, any one other message at most half, so one pasted file cannot crowd out the rest.
std::string render_transcript(const conversations::Conversation& conversation, size_t max_chars,
                              std::string_view reply_label = kReviewedReplyLabel);

}  // namespace autoswarm::reflect
