// `autoswarm reflect` as one function: reviews each conversation not yet reviewed, oldest first
// (one lesson call each, novel lessons added to skills.yaml), then runs the prune judge, and
// returns the counts for the summary line. Safe to kill at any point: a lesson is written to
// skills.yaml with its conversation id in `sources` before the review mark, and a conversation
// named in any skill's sources counts as reviewed, so no lesson is added twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "autoswarm/llm/endpoint.h"
#include "autoswarm/reflect/lesson.h"
#include "autoswarm/reflect/novelty.h"
#include "autoswarm/reflect/prune_judge.h"

namespace autoswarm::reflect {

struct ReflectOptions {
  std::filesystem::path data_dir;          // holds conversations/ and skills.yaml
  size_t limit = 0;                        // conversations per run; 0: all
  bool dry_run = false;                    // decide everything, write nothing
  size_t transcript_chars = kDefaultTranscriptChars;
  double similarity_threshold = kDefaultSimilarityThreshold;
  bool prune = true;
  size_t prune_sample = 8;                 // recent conversations the judge sees
  PruneOptions prune_options;
  std::chrono::milliseconds ledger_sync_interval{100};
  size_t max_consecutive_failures = 5;     // then the run stops; the rest waits for the next
  // An answer that is not the JSON asked for leaves its conversation for a later run, up to
  // this many answers; then it is skipped as unparsable.
  size_t max_unparsable_attempts = 3;
  // This many unreadable answers in a row stop the run (exit 1): the model is not following
  // the JSON instruction, and every later call would be wasted.
  size_t max_consecutive_unparsable = 5;
  std::chrono::milliseconds llm_read_timeout{300000};  // per read of an LLM call (--timeout)
};

// Chooses the LLM to ask, called on first need, so that a run with nothing to ask never probes.
// Returns nothing when no upstream is usable (the caller has told the user why).
using ConnectFn = std::function<std::optional<llm::Endpoint>()>;

// A lesson added (or, in a dry run, one that would be), or a skill pruned.
struct SkillChange {
  std::string skill_id;         // for a dry-run addition: "new-1", "new-2", ...
  std::string text;
  std::string conversation_id;  // additions: where it was learned
  std::string reason;           // removals: the judge's reason
};

struct ReflectResult {
  bool locked_out = false;      // another run holds the lock: nothing was done
  bool no_upstream = false;     // an LLM was needed and none was usable
  size_t reviewed = 0;          // marked reviewed by this run (= added + skipped)
  size_t added = 0;
  size_t skipped = 0;
  size_t pruned = 0;
  size_t failed = 0;            // LLM calls that failed (their conversations stay unreviewed)
  size_t unparsable = 0;        // answers that could not be read (asked again by a later run)
  bool model_ignores_json = false;  // stopped: max_consecutive_unparsable answers in a row
  size_t calls_ok = 0;          // LLM calls answered
  size_t remaining = 0;         // still unreviewed after this run
  std::vector<SkillChange> additions;
  std::vector<SkillChange> removals;

  // "reviewed=12 added=3 skipped=9 pruned=1", plus " failed=N" when calls failed and
  // " unparsable=N" when answers could not be read.
  std::string summary_line() const;
  // 1 when no upstream was usable, every LLM call failed or the model kept answering with
  // something other than the JSON asked for; else 0 (also with nothing to do).
  int exit_code() const;
};

// Throws FileError for a malformed skills.yaml / skills.removed.yaml (before writing anything).
ReflectResult run_reflect(const ReflectOptions& options, const ConnectFn& connect);

}  // namespace autoswarm::reflect
