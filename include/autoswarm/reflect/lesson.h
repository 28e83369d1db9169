// Lesson extraction: the one LLM call per conversation that asks whether it holds a concrete,
// reusable lesson (showing the skills already known), and the reading of its JSON answer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/skills/skill_book.h"

namespace autoswarm::reflect {

inline constexpr size_t kDefaultTranscriptChars = 6000;
// How much of the skillbook the lesson prompt shows: the skills most relevant to the
// conversation, up to this many characters.
inline constexpr size_t kShownSkillsChars = 3000;

// The chat request for `conversation` (model left empty for the caller to set). Deterministic:
// temperature 0.
llm::ChatRequest lesson_request(const conversations::Conversation& conversation, const skills::SkillBook& book,
                                size_t transcript_chars = kDefaultTranscriptChars);

struct LessonAnswer {
  enum class Kind {
    kLesson,      // a lesson to check for novelty and add
    kNone,        // the model found nothing worth keeping
    kKnown,       // the model says an existing skill already holds it
    kUnparsable,  // no usable JSON answer
  };
  Kind kind = Kind::kUnparsable;
  std::string lesson;    // kLesson
  std::string known_as;  // kKnown: an id present in the book
  std::string reason;    // the model's reason; for kUnparsable what was wrong with the answer
};

// Reads the model's reply tolerantly (see llm/json_answer.h). "known_as" counts only when it
// names a skill in `book`; a lesson given together with an unknown id is still a lesson.
LessonAnswer parse_lesson_answer(std::string_view reply, const skills::SkillBook& book);

}  // namespace autoswarm::reflect
