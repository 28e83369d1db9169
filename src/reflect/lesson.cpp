#include "autoswarm/reflect/lesson.h"

#include <algorithm>
#include <cctype>

#include "autoswarm/llm/json_answer.h"
#include "autoswarm/reflect/transcript.h"
#include "autoswarm/skills/skill_injection.h"
#include "prompts.h"

namespace autoswarm::reflect {
namespace {

using nlohmann::json;

std::string trimmed(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A string field, or "" for null, missing, or the literal answers small models write instead
// of null ("none", "null", "n/a").
std::string answer_text(const json& answer, const char* key) {
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_string()) return "";
  std::string s = trimmed(it->get<std::string>());
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "none" || lower == "null" || lower == "n/a" || lower == "no lesson" || lower == "-") return "";
  return s;
}

// Every skill may be shown, the closest to the conversation first, as many as fit: the model
// must see the near duplicates of a lesson to leave it out.
skills::InjectionLimits shown_skill_limits() {
  skills::InjectionLimits limits;
  limits.budget_tokens = kShownSkillsChars / skills::kCharsPerToken;
  limits.max_skills = SIZE_MAX;
  limits.min_score = 0;
  return limits;
}

}  // namespace

llm::ChatRequest lesson_request(const conversations::Conversation& c, const skills::SkillBook& book,
                                size_t transcript_chars) {
  const std::string transcript = render_transcript(c, transcript_chars);
  std::string user;
  if (book.skills.empty()) {
    user += prompts::kLessonNoSkills;
  } else {
    user += prompts::kLessonSkillsHeading;
    // The skills closest to this conversation, when the whole book does not fit.
    for (size_t i : skills::choose_skills(book, transcript, shown_skill_limits())) {
      user += "- [" + book.skills[i].id + "] " + book.skills[i].text + "\n";
    }
  }
  user += "\n";
  user += prompts::kLessonConversationHeading;
  user += " (" + c.id + (c.model.empty() ? "" : ", model " + c.model) + "):\n";
  user += "<conversation>\n" + transcript + "\n</conversation>\n\n";
  user += prompts::kLessonAnswerReminder;

  llm::ChatRequest request;
  request.messages = json::array({{{"role", "system"}, {"content", std::string(prompts::kLessonSystem)}},
                                  {{"role", "user"}, {"content", user}}});
  request.temperature = 0.0;
  return request;
}

LessonAnswer parse_lesson_answer(std::string_view reply, const skills::SkillBook& book) {
  LessonAnswer a;
  llm::JsonAnswer found = llm::find_json_answer(reply, [](const json& v) {
    return v.is_object() && (v.contains("lesson") || v.contains("known_as"));
  });
  if (!found.value) {
    a.reason = found.error;
    return a;
  }
  const json& v = *found.value;
  if (v.contains("lesson") && !v["lesson"].is_null() && !v["lesson"].is_string()) {
    a.reason = "\"lesson\" is not a string";
    return a;
  }
  a.reason = answer_text(v, "reason");
  const std::string known = answer_text(v, "known_as");
  const bool known_in_book = !known.empty() && std::any_of(book.skills.begin(), book.skills.end(),
                                                           [&](const skills::Skill& s) { return s.id == known; });
  a.lesson = answer_text(v, "lesson");
  if (known_in_book) {
    a.kind = LessonAnswer::Kind::kKnown;
    a.known_as = known;
  } else if (!a.lesson.empty()) {
    a.kind = LessonAnswer::Kind::kLesson;
  } else {
    a.kind = LessonAnswer::Kind::kNone;
  }
  return a;
}

}  // namespace autoswarm::reflect
