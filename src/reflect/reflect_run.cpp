#include "autoswarm/reflect/reflect_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <system_error>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/conversations/review_ledger.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/skills/skill_store.h"
#include "autoswarm/util/data_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"

namespace autoswarm::reflect {
namespace fs = std::filesystem;
using conversations::Conversation;

std::string ReflectResult::summary_line() const {
  std::string line = "reviewed=" + std::to_string(reviewed) + " added=" + std::to_string(added) +
                     " skipped=" + std::to_string(skipped) + " pruned=" + std::to_string(pruned);
  if (failed > 0) line += " failed=" + std::to_string(failed);
  if (unparsable > 0) line += " unparsable=" + std::to_string(unparsable);
  return line;
}

int ReflectResult::exit_code() const {
  if (no_upstream || model_ignores_json) return 1;
  if (failed > 0 && calls_ok == 0) return 1;
  return 0;
}

namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// The first line of a model's answer, shortened, for the verbose log.
std::string snippet(const std::string& text) {
  std::string s = text.substr(0, 240);
  std::replace(s.begin(), s.end(), '\n', ' ');
  return text.size() > 240 ? s + "…" : s;
}

class Run {
 public:
  Run(const ReflectOptions& options, const ConnectFn& connect)
      : o_(options),
        connect_(connect),
        data_(options.data_dir),
        conversations_dir_(data_.conversations()),
        store_(data_) {}

  ReflectResult go() {
    std::error_code ec;
    if (!fs::is_directory(o_.data_dir, ec)) return result_;  // nothing logged yet
    std::optional<util::FileLock> lock;
    if (!o_.dry_run) {
      lock.emplace(data_.reflect_lock_file(), util::FileLock::Wait::kTry);
      if (!lock->held()) {
        result_.locked_out = true;
        return result_;
      }
    }
    book_ = store_.load();  // a malformed file stops the run here, before any write
    if (!o_.dry_run) store_.tidy();
    const skills::RemovedSkills removed = store_.load_removed();
    ledger_.emplace(data_.review_ledger_file(), o_.ledger_sync_interval);
    records_ = conversations::list_records(conversations_dir_);
    for (size_t i = 0; i < records_.size(); ++i) by_id_.emplace(records_[i].id, i);

    // A conversation that some skill was learned from is reviewed, even when a run was killed
    // between writing the skill and its review mark; such marks are written now.
    std::map<std::string, std::string> learned;  // conversation id -> skill id
    auto note_sources = [&](const skills::Skill& s) {
      for (const auto& src : s.sources) {
        if (by_id_.contains(src)) learned.emplace(src, s.id);
      }
    };
    for (const auto& s : book_.skills) note_sources(s);
    for (const auto& r : removed.removed) note_sources(r.skill);
    size_t recovered = 0;
    if (!o_.dry_run) {
      for (const auto& [conversation, skill] : learned) {
        if (ledger_->contains(conversation)) continue;
        ++recovered;
        std::vector<std::string> injected;
        try {
          injected = conversations::load_conversation(records_[by_id_.at(conversation)]).injected_skills;
        } catch (const Error&) {
        }
        ledger_->mark({conversation, util::utc_timestamp(), conversations::ReviewOutcome::kAdded, skill,
                       "recorded after an interrupted run", injected});
      }
    }

    std::vector<const conversations::RecordRef*> pending;
    for (const auto& ref : records_) {
      if (!ledger_->contains(ref.id) && !learned.contains(ref.id)) pending.push_back(&ref);
    }
    const size_t total_pending = pending.size();
    if (o_.limit > 0 && pending.size() > o_.limit) pending.resize(o_.limit);
    if (!pending.empty()) {
      spdlog::info("{} conversation{} to review{}", pending.size(), pending.size() == 1 ? "" : "s",
                   total_pending > pending.size()
                       ? " (" + std::to_string(total_pending - pending.size()) + " more left for later runs by --limit)"
                       : "");
    }
    for (const conversations::RecordRef* ref : pending) {
      if (stop_) break;
      review(*ref);
    }
    result_.remaining = total_pending - result_.reviewed;
    if (stop_ && result_.remaining > 0) {
      spdlog::warn("stopped early: {} conversation{} stay unreviewed for the next run", result_.remaining,
                   result_.remaining == 1 ? "" : "s");
    }

    if (!o_.dry_run && (result_.reviewed > 0 || recovered > 0)) {
      ledger_->sync();
      store_.set_injected_counts(ledger_->injection_counts());
    }
    if (o_.prune && lesson_calls_ok_ > 0 && !stop_) prune();
    ledger_->sync();
    return result_;
  }

 private:
  bool ensure_upstream() {
    if (!connect_tried_) {
      connect_tried_ = true;
      if (std::optional<llm::Endpoint> endpoint = connect_()) {
        llm::ClientOptions co = llm::ClientOptions::for_endpoint(*endpoint);
        co.read_timeout = o_.llm_read_timeout;
        client_ = std::make_unique<llm::Client>(co);
        model_ = endpoint->model;
      } else {
        result_.no_upstream = true;
      }
    }
    return client_ != nullptr;
  }

  // One chat call. A failure is counted and logged; connection failures (and a run of other
  // failures) stop the run, since every later call would fail the same way.
  std::optional<llm::ChatResponse> ask(llm::ChatRequest request, const std::string& what) {
    request.model = model_;
    try {
      llm::ChatResponse reply = client_->chat(request);
      ++result_.calls_ok;
      consecutive_failures_ = 0;
      return reply;
    } catch (const llm::ConnectionError& e) {
      ++result_.failed;
      spdlog::error("{}: {}", what, e.what());
      stop_ = true;
    } catch (const llm::HttpError& e) {
      ++result_.failed;
      spdlog::warn("{}: {}", what, e.what());
      if (e.status() == 401 || e.status() == 403 || e.status() == 404) stop_ = true;
    } catch (const llm::LlmError& e) {
      ++result_.failed;
      spdlog::warn("{}: {}", what, e.what());
    }
    if (!stop_ && ++consecutive_failures_ >= o_.max_consecutive_failures) {
      spdlog::error("the upstream failed {} times in a row; stopping", consecutive_failures_);
      stop_ = true;
    }
    return std::nullopt;
  }

  void skip(const std::string& id, const std::string& reason, const std::vector<std::string>& injected) {
    if (!o_.dry_run) ledger_->mark({id, util::utc_timestamp(), conversations::ReviewOutcome::kSkipped, "", reason, injected});
    ++result_.reviewed;
    ++result_.skipped;
    spdlog::debug("{}: skipped: {}", id, reason);
  }

  void review(const conversations::RecordRef& ref) {
    const std::string& id = ref.id;
    Conversation c;
    try {
      c = conversations::load_conversation(ref);
    } catch (const Error& e) {
      spdlog::warn("{} (skipped)", e.what());
      skip(id, std::string("unreadable: ") + e.what(), {});
      return;
    }
    if (c.kind == conversations::ExchangeKind::kHelper) {
      skip(id, "a helper call (a front end's background task), not a person's chat", c.injected_skills);
      return;
    }
    if (c.failed()) {
      skip(id, "the call failed (status " + std::to_string(c.status) + ")", c.injected_skills);
      return;
    }
    if (blank(c.reply_content)) {
      skip(id, "the reply has no text", c.injected_skills);
      return;
    }
    if (!ensure_upstream()) {
      stop_ = true;
      return;
    }
    auto reply = ask(lesson_request(c, o_.dry_run ? dry_book() : book_, o_.transcript_chars), "lesson call for " + id);
    if (!reply) return;  // stays unreviewed
    ++lesson_calls_ok_;
    const std::string& text = blank(reply->content) ? reply->reasoning_content : reply->content;
    const LessonAnswer a = parse_lesson_answer(text, o_.dry_run ? dry_book() : book_);
    if (a.kind == LessonAnswer::Kind::kUnparsable) return unparsable(c, a.reason, text);
    consecutive_unparsable_ = 0;
    switch (a.kind) {
      case LessonAnswer::Kind::kUnparsable:
        return;
      case LessonAnswer::Kind::kNone:
        skip(id, a.reason.empty() ? "no lesson" : "no lesson: " + a.reason, c.injected_skills);
        return;
      case LessonAnswer::Kind::kKnown:
        skip(id, "already known as " + a.known_as, c.injected_skills);
        return;
      case LessonAnswer::Kind::kLesson:
        add_lesson(c, a.lesson);
        return;
    }
  }

  // An answer that is not the JSON asked for: the conversation is asked about again by a later
  // run (a model that fumbled once often answers the next time), until max_unparsable_attempts.
  void unparsable(const Conversation& c, const std::string& reason, const std::string& text) {
    spdlog::debug("{}: the answer could not be read ({}): {}", c.id, reason, snippet(text));
    const size_t attempts = ledger_->unparsable_attempts(c.id) + 1;
    if (attempts >= o_.max_unparsable_attempts) {
      skip(c.id, "unparsable: " + reason + " (" + std::to_string(attempts) + " answers)", c.injected_skills);
    } else {
      if (!o_.dry_run) {
        ledger_->mark({c.id, util::utc_timestamp(), conversations::ReviewOutcome::kUnparsable, "", reason, c.injected_skills});
      }
      ++result_.unparsable;
    }
    if (++consecutive_unparsable_ >= o_.max_consecutive_unparsable) {
      spdlog::error("the model answered {} times in a row with something that is not the JSON asked for: it "
                    "is not following the instruction; stopping (try a larger model, with --model)",
                    consecutive_unparsable_);
      result_.model_ignores_json = true;
      stop_ = true;
    }
  }

  skills::SkillBook& dry_book() {
    if (!dry_book_) dry_book_ = book_;
    return *dry_book_;
  }

  void add_lesson(const Conversation& c, const std::string& lesson) {
    if (o_.dry_run) {
      NoveltyVerdict v = check_novelty(dry_book(), lesson, o_.similarity_threshold);
      if (!v.novel) return skip(c.id, v.reason, c.injected_skills);
      std::string id = "new-" + std::to_string(result_.added + 1);
      dry_book().skills.push_back({id, lesson, util::utc_timestamp(), {c.id}, 0});
      result_.additions.push_back({id, lesson, c.id, ""});
      ++result_.reviewed;
      ++result_.added;
      return;
    }
    // The novelty check runs under the skills lock against the file as it is now, so a skill
    // added meanwhile (by `autoswarm skills add`, say) is seen.
    auto r = store_.add(lesson, {c.id}, [&](const skills::SkillBook& current) -> std::optional<std::string> {
      book_ = current;
      NoveltyVerdict v = check_novelty(current, lesson, o_.similarity_threshold);
      if (!v.novel) return v.reason;
      return std::nullopt;
    });
    if (!r.added) return skip(c.id, r.vetoed, c.injected_skills);
    book_.skills.push_back(*r.added);
    ledger_->mark({c.id, util::utc_timestamp(), conversations::ReviewOutcome::kAdded, r.added->id, "", c.injected_skills});
    result_.additions.push_back({r.added->id, r.added->text, c.id, ""});
    ++result_.reviewed;
    ++result_.added;
    spdlog::info("added {} from {}: {}", r.added->id, c.id, r.added->text);
  }

  // The most recent conversations worth showing the judge, oldest first.
  std::vector<Conversation> recent_sample() {
    std::vector<Conversation> out;
    for (auto it = records_.rbegin(); it != records_.rend() && out.size() < o_.prune_sample; ++it) {
      try {
        Conversation c = conversations::load_conversation(*it);
        if (c.kind == conversations::ExchangeKind::kChat && !c.failed() && !blank(c.reply_content)) {
          out.push_back(std::move(c));
        }
      } catch (const Error&) {
      }
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  void prune() {
    const skills::SkillBook book = o_.dry_run ? dry_book() : store_.load();
    if (book.skills.empty()) return;
    PruneRequest pr = prune_request(book, recent_sample(), o_.prune_options);
    if (pr.shown.size() < book.skills.size()) {
      spdlog::info("the prune judge sees the newest {} of {} skills", pr.shown.size(), book.skills.size());
    }
    auto reply = ask(pr.request, "prune judge call");
    if (!reply) return;
    const std::string& text = blank(reply->content) ? reply->reasoning_content : reply->content;
    PruneAnswer a = parse_prune_answer(text, pr.shown);
    if (!a.parsed) {
      spdlog::warn("the prune judge's answer could not be read ({}); nothing pruned", a.error);
      spdlog::debug("prune answer: {}", snippet(text));
      return;
    }
    for (const auto& id : a.ignored) spdlog::debug("the prune judge named '{}', which it was not shown; ignored", id);
    if (a.remove.empty()) {
      spdlog::debug("the prune judge keeps all {} skills it saw", pr.shown.size());
      return;
    }
    if (o_.dry_run) {
      for (const auto& v : a.remove) {
        auto s = std::find_if(book.skills.begin(), book.skills.end(), [&](const skills::Skill& k) { return k.id == v.id; });
        result_.removals.push_back({v.id, s->text, "", v.reason});
      }
      result_.pruned = a.remove.size();
      return;
    }
    std::vector<skills::SkillStore::Removal> removals;
    for (const auto& v : a.remove) removals.push_back({v.id, v.reason});
    for (const skills::Skill& s : store_.remove(removals, "prune", skills::SkillStore::Unknown::kIgnore)) {
      auto v = std::find_if(a.remove.begin(), a.remove.end(), [&](const PruneVerdict& p) { return p.id == s.id; });
      result_.removals.push_back({s.id, s.text, "", v->reason});
      spdlog::info("pruned {} ({}): {}", s.id, v->reason, s.text);
    }
    result_.pruned = result_.removals.size();
  }

  const ReflectOptions& o_;
  const ConnectFn& connect_;
  const util::DataDir data_;
  fs::path conversations_dir_;
  skills::SkillStore store_;
  skills::SkillBook book_;
  std::optional<skills::SkillBook> dry_book_;
  std::optional<conversations::ReviewLedger> ledger_;
  std::vector<conversations::RecordRef> records_;  // oldest first
  std::unordered_map<std::string, size_t> by_id_;   // id -> index in records_
  std::unique_ptr<llm::Client> client_;  // null until connected
  std::string model_;
  bool connect_tried_ = false;
  bool stop_ = false;
  size_t consecutive_failures_ = 0;
  size_t consecutive_unparsable_ = 0;
  size_t lesson_calls_ok_ = 0;
  ReflectResult result_;
};

}  // namespace

ReflectResult run_reflect(const ReflectOptions& options, const ConnectFn& connect) {
  return Run(options, connect).go();
}

}  // namespace autoswarm::reflect
