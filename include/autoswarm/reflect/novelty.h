// Whether a proposed lesson is worth adding: not empty, not a platitude, not too long for one
// lesson, and not an exact or near duplicate of a skill already in the book (normalised text
// similarity at or above a threshold).
#pragma once

#include <string>
#include <string_view>

#include "autoswarm/skills/skill_book.h"

namespace autoswarm::reflect {

// Lower case, every run of non-alphanumeric ASCII as one space, trimmed. Non-ASCII bytes are
// kept as they are.
std::string normalise(std::string_view text);

// Similarity of two normalised texts in [0, 1]: the Sørensen–Dice coefficient of their sets of
// character trigrams (word boundaries included). 1 for equal texts.
double similarity(std::string_view a_normalised, std::string_view b_normalised);

inline constexpr double kDefaultSimilarityThreshold = 0.8;
inline constexpr size_t kMaxLessonChars = 500;

struct NoveltyVerdict {
  bool novel = false;
  std::string reason;       // why not, for the log ("near duplicate of sk-3f2a9c (similarity 0.91)")
  std::string similar_id;   // the existing skill it duplicates, if any
  double score = 0;         // the highest similarity found
};

// Judges `lesson` against `book`.
NoveltyVerdict check_novelty(const skills::SkillBook& book, std::string_view lesson,
                             double threshold = kDefaultSimilarityThreshold);

}  // namespace autoswarm::reflect
