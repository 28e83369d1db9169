// results.tsv: the experiment log of the self-optimisation loop, one row per recorded job.
// Rows are only ever appended (old bytes + new row, written atomically under a lock), never rewritten.
//
//   commit  avg_score  passed  task_scores  stage_scores  pipeline_topology  cost_usd  status  description  job  n_tasks
//   a1b2c3d 0.7500     3       hello-world:1,log-errors:0  plan:0.82,execute:0.71  plan→execute  0.0000  keep  add a verify step  2025-06-01__14-03-12  4
//
// The first nine columns are the seed's, in its order; `job` and `n_tasks` came later, at the
// end. A file started before them (its header is kNineColumnHeader) keeps its nine columns:
// its new rows are written as its old ones were, `passed` as "3/4" (see docs/benchmark-mode.md
// for moving such a file to the eleven columns).
#pragma once

#include <filesystem>
#include <string>

namespace autoswarm::bench {

// The header line, without the newline.
inline constexpr const char* kResultsHeader =
    "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\t"
    "description\tjob\tn_tasks";
// The header of a results.tsv from before the job and n_tasks columns.
inline constexpr const char* kNineColumnHeader =
    "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\t"
    "description";

// Which header a results.tsv has, and so how its rows are written.
enum class ResultsLayout {
  kCurrent,      // kResultsHeader: eleven columns
  kNineColumns,  // kNineColumnHeader: nine, `passed` as "<passed>/<n_tasks>"
};

// One row of results.tsv, every field as written.
struct ResultsRow {
  std::string commit;             // short hash of the spec's repository when the job ran; "+" suffix:
                                  // uncommitted changes; "-": no git
  std::string avg_score;          // mean reward over the job's trials, "%.4f"
  std::string passed;             // tasks passed (with -k, tasks with a passing attempt), "3"
  std::string task_scores;        // "task:reward" pairs, comma-separated, by task name
  std::string stage_scores;       // `bench eval`'s aggregate ("plan:0.82,execute:0.71"); "" when not run
  std::string pipeline_topology;  // "plan→execute"
  std::string cost_usd;           // "%.4f"
  std::string status;             // keep | discard | crash
  std::string description;
  std::string job;                // the job directory's name, "2025-06-01__14-03-12"
  std::string n_tasks;            // what `passed` is out of: the tasks planned plus those skipped as unusable

  // The fields joined by tabs (each cleaned with clean_field), without the newline: eleven, or
  // the nine of the old layout with `passed` as "<passed>/<n_tasks>".
  std::string to_line(ResultsLayout layout = ResultsLayout::kCurrent) const;
};

// A field made safe for one TSV cell: tabs, newlines and other control characters become
// spaces; runs of them collapse to one; leading and trailing spaces go.
std::string clean_field(const std::string& text);

// "keep", "discard" or "crash".
bool is_results_status(const std::string& status);

// The short git hash of the repository holding `spec_file` (`git -C <its dir> rev-parse --short
// HEAD`) now, with "+" appended when the spec file has uncommitted changes (or is untracked);
// "-" when the file is not in a git repository or git is missing. For jobs that did not record
// their spec's origin (written before autoswarm_config.json), and for `record --spec`.
std::string spec_commit(const std::filesystem::path& spec_file);

// The row for a job directory: its autoswarm.json (scores, passed, topology, cost), its
// autoswarm_config.json when it has one (the commit the job ran, SpecOrigin::commit_column, and
// the skipped tasks, which count in n_tasks), and the trials' agent/stage_scores.json when
// `bench eval` ran. commit stays "" for a job without autoswarm_config.json; status and
// description are the caller's. `crashed`: a job without autoswarm.json (killed before its end)
// gets zeros instead of an error. Throws FileError when autoswarm.json cannot be read.
ResultsRow results_row_for_job(const std::filesystem::path& job_dir, bool crashed = false);

// Why the job did not run to its end, for refusing to record it as kept; "" when it did (or
// when it does not say: jobs of the test fixtures and older versions). Unfinished: no
// autoswarm.json, "interrupted": true, fewer finished trials than planned, or cancelled ones.
std::string unfinished_job_reason(const std::filesystem::path& job_dir);

struct AppendedRow {
  std::string line;       // as written, without the newline
  ResultsLayout layout;   // the file's
};

// Appends `row` to `file`, creating it with kResultsHeader when missing or empty; a file with
// kNineColumnHeader gets the row in that layout. Under a lock (`<file>.lock`); the new file is
// the old bytes plus the row, renamed over the old one. Throws FileError when the file cannot
// be read or written, or starts with neither header.
AppendedRow append_results_row(const std::filesystem::path& file, const ResultsRow& row);

}  // namespace autoswarm::bench
