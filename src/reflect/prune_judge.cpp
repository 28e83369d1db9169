#include "autoswarm/reflect/prune_judge.h"

#include <algorithm>
#include <set>

#include "autoswarm/llm/json_answer.h"
#include "autoswarm/reflect/transcript.h"
#include "autoswarm/util/text.h"
#include "prompts.h"

namespace autoswarm::reflect {
namespace {

using nlohmann::json;

}  // namespace

PruneRequest prune_request(const skills::SkillBook& book, const std::vector<conversations::Conversation>& recent,
                           const PruneOptions& options) {
  PruneRequest out;
  // The newest skills first (older ones have survived earlier prunes), shown in book order.
  std::vector<size_t> chosen;
  size_t used = 0;
  for (size_t i = book.skills.size(); i-- > 0;) {
    const size_t line = book.skills[i].id.size() + book.skills[i].text.size() + 32;
    if (used + line > options.skills_chars && !chosen.empty()) break;
    used += line;
    chosen.push_back(i);
  }
  std::sort(chosen.begin(), chosen.end());

  std::string user(prompts::kPruneSkillsHeading);
  user += " (" + std::to_string(chosen.size()) + " skills):\n";
  for (size_t i : chosen) {
    const skills::Skill& s = book.skills[i];
    user += "- [" + s.id + "] (injected into " + std::to_string(s.injected) + " requests) " + s.text + "\n";
    out.shown.push_back(s.id);
  }
  user += "\n";
  if (recent.empty()) {
    user += prompts::kPruneNoConversations;
  } else {
    user += prompts::kPruneConversationsHeading;
    user += " (" + std::to_string(recent.size()) + ", oldest first):\n";
    const size_t each = std::max<size_t>(options.conversations_chars / recent.size(), 400);
    for (const auto& c : recent) {
      user += "\n<conversation id=\"" + c.id + "\" skills_injected=\"" +
              (c.injected_skills.empty() ? "none" : util::join(c.injected_skills, ", ")) + "\">\n";
      user += render_transcript(c, each);
      user += "\n</conversation>\n";
    }
  }
  user += "\n";
  user += prompts::kPruneAnswerReminder;

  out.request.messages = json::array({{{"role", "system"}, {"content", std::string(prompts::kPruneSystem)}},
                                      {{"role", "user"}, {"content", user}}});
  out.request.temperature = 0.0;
  return out;
}

PruneAnswer parse_prune_answer(std::string_view reply, const std::vector<std::string>& shown) {
  PruneAnswer a;
  llm::JsonAnswer found = llm::find_json_answer(reply, [](const json& v) {
    return v.is_object() && v.contains("remove") && (v["remove"].is_array() || v["remove"].is_null());
  });
  if (!found.value) {
    a.error = found.error;
    return a;
  }
  a.parsed = true;
  const json& list = (*found.value)["remove"];
  if (!list.is_array()) return a;
  const std::set<std::string> allowed(shown.begin(), shown.end());
  std::set<std::string> seen;
  for (const json& item : list) {
    PruneVerdict v;
    if (item.is_string()) {
      v.id = item.get<std::string>();
    } else if (item.is_object() && item.contains("id") && item["id"].is_string()) {
      v.id = item["id"].get<std::string>();
      if (item.contains("reason") && item["reason"].is_string()) v.reason = item["reason"].get<std::string>();
    } else {
      continue;
    }
    if (!allowed.contains(v.id)) {
      a.ignored.push_back(v.id);
      continue;
    }
    if (!seen.insert(v.id).second) continue;
    if (v.reason.empty()) v.reason = "no reason given";
    a.remove.push_back(std::move(v));
  }
  return a;
}

}  // namespace autoswarm::reflect
