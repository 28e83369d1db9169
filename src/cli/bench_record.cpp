// `autoswarm bench record --status keep|discard|crash [--description TEXT] [--force] [JOB_DIR]`:
// appends one row for the job to results.tsv (created with its header) and prints it. A job
// that did not run to its end is not recorded as kept without --force.
#include <filesystem>
#include <iostream>
#include <memory>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/loop/results_log.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "bench_commands.h"

namespace autoswarm::cli {
namespace {

namespace fs = std::filesystem;

struct RecordFlags {
  std::string job_dir = bench::latest_link("jobs").string();
  std::string status;
  std::string description;
  std::string results = "results.tsv";
  std::optional<std::string> spec;
  bool force = false;
};

// For a job that did not record its spec's origin: the spec the job ran, else ./pipeline_spec.yaml.
fs::path spec_of(const RecordFlags& f) {
  const bench::JobDir job(f.job_dir);
  nlohmann::json summary = bench::try_read_job_json(job.summary_file());
  std::string ran = summary.is_object() ? util::string_field(util::object_field(summary, "run"), "spec_file") : "";
  return ran.empty() ? "pipeline_spec.yaml" : ran;
}

int run_record(const RecordFlags& f) {
  if (f.status == "keep" && !f.force) {
    std::string why = bench::unfinished_job_reason(f.job_dir);
    if (!why.empty()) {
      throw Error("refusing to record " + f.job_dir + " as keep: " + why +
                  ". Finish it with `autoswarm bench resume " + f.job_dir +
                  "` and record it then, record it as discard or crash, or pass --force");
    }
  }
  bench::ResultsRow row = bench::results_row_for_job(f.job_dir, f.status == "crash");
  // The commit the job ran, as it recorded it; --spec, or a job from before that record: now.
  if (f.spec) row.commit = bench::spec_commit(*f.spec);
  else if (row.commit.empty()) row.commit = bench::spec_commit(spec_of(f));
  row.status = f.status;
  row.description = f.description;
  bench::AppendedRow appended = bench::append_results_row(f.results, row);
  if (appended.layout == bench::ResultsLayout::kNineColumns) {
    std::cerr << "note: " << f.results << " has the nine columns of an older autoswarm, so the row "
              << "has them too (passed as passed/n_tasks, without job and n_tasks); see "
              << "docs/benchmark-mode.md to move it to the eleven\n";
  }
  std::cout << f.results << ": " << appended.line << std::endl;
  return 0;
}

}  // namespace

Runner configure_bench_record(CLI::App& app) {
  auto f = std::make_shared<RecordFlags>();
  app.add_option("job_dir", f->job_dir, "The job directory written by `bench run`")->capture_default_str();
  app.add_option("--status", f->status, "keep, discard or crash")
      ->required()
      ->check(CLI::IsMember({"keep", "discard", "crash"}));
  app.add_option("--description", f->description, "What this experiment changed");
  app.add_option("--results", f->results, "The experiment log to append to")->capture_default_str();
  app.add_option("--spec", f->spec,
                 "The spec whose git commit (now) the row names (default: the commit the job "
                 "recorded when it ran)");
  app.add_flag("--force", f->force,
               "Record an interrupted or partial job as keep all the same");
  return [f](const GlobalOptions&) { return run_record(*f); };
}

}  // namespace autoswarm::cli
