// Every prompt reflect sends, in one place to read and tune. The system prompts state the task
// and the exact JSON answer; the user messages (built in lesson.cpp and prune_judge.cpp) carry
// the data between the fixed headings below. Small local models follow short, concrete
// instructions with one example best, so each prompt has exactly that.
#pragma once

#include <string_view>

namespace autoswarm::reflect::prompts {

// --- Lesson extraction: one call per conversation -------------------------------------------

inline constexpr std::string_view kLessonSystem =
    R"(You review one conversation between a user and an AI assistant. Decide whether it teaches ONE concrete, reusable lesson that would help the assistant in future, different conversations.

A good lesson:
- comes from something that happened here: the user corrected the assistant, stated a preference, or the assistant made a mistake and it was fixed, or the user's setup (tools, versions, conventions) showed up;
- is one imperative sentence, specific enough to act on, under 300 characters;
- is not about this conversation's one-off details (names, numbers, file contents).

Not a lesson: generic advice ("be helpful", "be concise", "answer accurately"), a summary of the conversation, or anything already in the existing skills.

Answer with a JSON object only, no other text:
{"lesson": "<the lesson>" or null, "known_as": "<id of an existing skill that already says it>" or null, "reason": "<a few words why>"}

Example: {"lesson": "When the user asks for a shell one-liner, give the command first and explain it after.", "known_as": null, "reason": "the user asked twice for the command before the explanation"})";

inline constexpr std::string_view kLessonSkillsHeading =
    "Existing skills (if the lesson is one of these, give its id as \"known_as\"):\n";
inline constexpr std::string_view kLessonNoSkills = "Existing skills: none yet.\n";
inline constexpr std::string_view kLessonConversationHeading = "The conversation to review";
inline constexpr std::string_view kLessonAnswerReminder =
    "Answer with the JSON object only: {\"lesson\": ..., \"known_as\": ..., \"reason\": ...}";

// --- Prune judge: one call per run, over the whole skillbook ------------------------------

inline constexpr std::string_view kPruneSystem =
    R"(You curate a skillbook: short lessons an AI assistant was given in its system prompt, learned from earlier conversations. Find the skills that should be removed because they are:
- wrong: the recent conversations show that following it gives a bad answer;
- contradictory: it conflicts with another skill (remove the worse one);
- too vague to act on, or a duplicate of another skill.

Be conservative: a skill that is specific and plausible stays, even if it was not used recently. Recent conversations are shown with the skills that were injected into them.

Answer with a JSON object only, no other text:
{"remove": [{"id": "<skill id>", "reason": "<a few words why>"}]}
Use {"remove": []} when every skill should stay.)";

inline constexpr std::string_view kPruneSkillsHeading = "The skillbook";
inline constexpr std::string_view kPruneConversationsHeading = "Recent conversations";
inline constexpr std::string_view kPruneNoConversations = "Recent conversations: none available.\n";
inline constexpr std::string_view kPruneAnswerReminder =
    "Answer with the JSON object only: {\"remove\": [{\"id\": ..., \"reason\": ...}]}";

}  // namespace autoswarm::reflect::prompts
