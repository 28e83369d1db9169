// results.tsv: the experiment log of the self-optimisation loop, one row per recorded job.
// Rows are only ever appended (old bytes + new row, written atomically under a lock), never rewritten.
//
//   commit  avg_score  passed  task_scores  stage_scores  pipeline_topology  cost_usd  status  description
//   a1b2c3d 0.7500     3/4     hello-world:1,log-errors:0  plan:0.82,execute:0.71  plan→execute  0.0000  keep  add a verify step
#pragma once

#include <filesystem>
#include <string>

namespace autoswarm::bench {

// The header line, without the newline.
inline constexpr const char* kResultsHeader =
    "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\t"
    "description";

// One row of results.tsv, every field as written.
struct ResultsRow {
  std::string commit;             // short hash of the spec's repository; "+" suffix: spec modified; "-": no git
  std::string avg_score;          // mean reward over the job's trials, "%.4f"
  std::string passed;             // "<passed>/<trials>"
  std::string task_scores;        // "task:reward" pairs, comma-separated, by task name
  std::string stage_scores;       // `bench eval`'s aggregate ("plan:0.82,execute:0.71"); "" when not run
  std::string pipeline_topology;  // "plan→execute"
  std::string cost_usd;           // "%.4f"
  std::string status;             // keep | discard | crash
  std::string description;

  // The fields joined by tabs (each cleaned with clean_field), without the newline.
  std::string to_line() const;
};

// A field made safe for one TSV cell: tabs, newlines and other control characters become
// spaces; runs of them collapse to one; leading and trailing spaces go.
std::string clean_field(const std::string& text);

// "keep", "discard" or "crash".
bool is_results_status(const std::string& status);

// The short git hash of the repository holding `spec_file` (`git -C <its dir> rev-parse --short
// HEAD`), with "+" appended when the spec file has uncommitted changes (or is untracked); "-"
// when the file is not in a git repository or git is missing.
std::string spec_commit(const std::filesystem::path& spec_file);

// The row for a finished job directory (its result.json, and the trials' agent/stage_scores.json
// when `bench eval` ran). status and description are filled in by the caller.
// Throws FileError when the job's result.json cannot be read.
ResultsRow results_row_for_job(const std::filesystem::path& job_dir);

// Appends `row` to `file`, creating it with the header when missing or empty. Under a lock
// (`<file>.lock`); the new file is the old bytes plus the row, renamed over the old one.
// Throws FileError when the file cannot be read or written, or does not start with the header.
void append_results_row(const std::filesystem::path& file, const ResultsRow& row);

}  // namespace autoswarm::bench
