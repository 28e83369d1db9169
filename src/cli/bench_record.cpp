// `autoswarm bench record --status keep|discard|crash [--description TEXT] [JOB_DIR]`: appends
// one row for the job to results.tsv (created with its header) and prints it.
#include <filesystem>
#include <iostream>
#include <memory>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/loop/results_log.h"
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
};

// The spec whose commit the row names: --spec, else the one the job ran, else ./pipeline_spec.yaml.
fs::path spec_of(const RecordFlags& f) {
  if (f.spec) return *f.spec;
  const bench::JobDir job(f.job_dir);
  nlohmann::json summary = bench::try_read_job_json(job.summary_file());
  std::string ran = summary.is_object() ? util::string_field(summary.value("run", nlohmann::json::object()), "spec_file") : "";
  return ran.empty() ? "pipeline_spec.yaml" : ran;
}

int run_record(const RecordFlags& f) {
  bench::ResultsRow row;
  if (f.status == "crash" && !fs::exists(bench::JobDir(f.job_dir).summary_file())) {
    row.avg_score = "0.0000";  // the run never finished
    row.passed = "0/0";
    row.cost_usd = "0.0000";
  } else {
    row = bench::results_row_for_job(f.job_dir);
  }
  row.commit = bench::spec_commit(spec_of(f));
  row.status = f.status;
  row.description = f.description;
  bench::append_results_row(f.results, row);
  std::cout << f.results << ": " << row.to_line() << std::endl;
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
                 "The spec whose git commit the row names (default: the one the job ran)");
  return [f](const GlobalOptions&) { return run_record(*f); };
}

}  // namespace autoswarm::cli
