#include "autoswarm/conversations/review_ledger.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <nlohmann/json.hpp>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"

namespace autoswarm::conversations {
namespace {

using nlohmann::json;

std::string text_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ReviewLedger::ReviewLedger(std::filesystem::path path, std::chrono::milliseconds sync_interval)
    : path_(std::move(path)), sync_interval_(sync_interval) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return;
  const std::string text = util::read_file(path_);
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string::npos;
    std::string_view line(text.data() + pos, (complete ? nl : text.size()) - pos);
    pos = complete ? nl + 1 : text.size();
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json j = util::try_parse_json(line);
    if (j.is_discarded() || !j.is_object() || text_field(j, "id").empty()) {
      if (complete) {
        spdlog::warn("{}:{}: not a review record, ignored (that conversation will be reviewed again)",
                     path_.string(), line_no);
      }  // else: the torn tail of an interrupted append, never reported as reviewed
      continue;
    }
    ReviewMark m;
    m.conversation_id = text_field(j, "id");
    m.at = text_field(j, "at");
    std::optional<ReviewOutcome> outcome = parse_outcome(text_field(j, "outcome"));
    if (!outcome) {
      spdlog::warn("{}:{}: unknown outcome '{}', ignored (that conversation will be reviewed again)",
                   path_.string(), line_no, text_field(j, "outcome"));
      continue;
    }
    m.outcome = *outcome;
    m.skill_id = text_field(j, "skill");
    m.reason = text_field(j, "reason");
    if (auto it = j.find("injected"); it != j.end() && it->is_array()) {
      for (const auto& id : *it) {
        if (id.is_string()) m.injected.push_back(id.get<std::string>());
      }
    }
    if (m.outcome == ReviewOutcome::kUnparsable) {
      ++unparsable_[m.conversation_id];
      continue;
    }
    if (index_.contains(m.conversation_id)) continue;
    index_.emplace(m.conversation_id, marks_.size());
    marks_.push_back(std::move(m));
  }
}

ReviewLedger::~ReviewLedger() {
  try {
    sync();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
  if (fd_ >= 0) ::close(fd_);
}

std::string_view outcome_name(ReviewOutcome outcome) {
  switch (outcome) {
    case ReviewOutcome::kAdded: return "added";
    case ReviewOutcome::kSkipped: return "skipped";
    case ReviewOutcome::kUnparsable: return "unparsable";
  }
  return "skipped";
}

std::optional<ReviewOutcome> parse_outcome(std::string_view name) {
  for (ReviewOutcome o : {ReviewOutcome::kAdded, ReviewOutcome::kSkipped, ReviewOutcome::kUnparsable}) {
    if (outcome_name(o) == name) return o;
  }
  return std::nullopt;
}

bool ReviewLedger::contains(const std::string& conversation_id) const { return index_.contains(conversation_id); }

size_t ReviewLedger::unparsable_attempts(const std::string& conversation_id) const {
  auto it = unparsable_.find(conversation_id);
  return it == unparsable_.end() ? 0 : it->second;
}

void ReviewLedger::mark(ReviewMark m) {
  if (index_.contains(m.conversation_id)) return;  // reviewed exactly once
  auto fail = [&](const char* what) {
    throw FileError("cannot record the review in " + path_.string() + ": " + what + ": " + std::strerror(errno));
  };
  std::string prefix;
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);  // read: the last byte
    if (fd_ < 0) fail("open");
    // A torn last line (a power cut mid-append) must not swallow the next record.
    off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size == 0) {  // possibly just created: make its directory entry durable too
      util::sync_directory(path_.parent_path());
    } else {
      char last = '\n';
      if (::pread(fd_, &last, 1, size - 1) == 1 && last != '\n') prefix = "\n";
    }
  }
  nlohmann::ordered_json j = {{"id", m.conversation_id}, {"at", m.at}, {"outcome", outcome_name(m.outcome)}};
  if (!m.skill_id.empty()) j["skill"] = m.skill_id;
  if (!m.reason.empty()) j["reason"] = m.reason;
  if (!m.injected.empty()) j["injected"] = m.injected;
  const std::string line = prefix + j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  // One write(2): a killed process leaves the whole line or none of it.
  if (!util::write_all(fd_, line)) fail("write");
  dirty_ = true;
  if (m.outcome == ReviewOutcome::kUnparsable) {
    ++unparsable_[m.conversation_id];
  } else {
    index_.emplace(m.conversation_id, marks_.size());
    marks_.push_back(std::move(m));
  }
  if (std::chrono::steady_clock::now() - last_sync_ >= sync_interval_) sync();
}

void ReviewLedger::sync() {
  if (fd_ < 0 || !dirty_) return;
  if (::fdatasync(fd_) != 0) {
    throw FileError("cannot record the review in " + path_.string() + ": fsync: " + std::strerror(errno));
  }
  dirty_ = false;
  last_sync_ = std::chrono::steady_clock::now();
}

std::unordered_map<std::string, int64_t> ReviewLedger::injection_counts() const {
  std::unordered_map<std::string, int64_t> counts;
  for (const ReviewMark& m : marks_) {
    for (const auto& id : m.injected) ++counts[id];
  }
  return counts;
}

}  // namespace autoswarm::conversations
