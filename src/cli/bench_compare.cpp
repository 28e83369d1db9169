// `autoswarm bench compare JOB_A JOB_B`: two job directories side by side — rewards per task,
// regressions and improvements, the change in passed, tokens and cost.
#include <iostream>
#include <memory>

#include "autoswarm/bench/loop/job_comparison.h"
#include "bench_commands.h"

namespace autoswarm::cli {

Runner configure_bench_compare(CLI::App& app) {
  auto job_a = std::make_shared<std::string>();
  auto job_b = std::make_shared<std::string>();
  app.add_option("JOB_A", *job_a, "The earlier job directory (e.g. jobs/2025-06-01__14-03-12)")
      ->required();
  app.add_option("JOB_B", *job_b, "The later job directory (e.g. jobs/latest)")->required();

  return [job_a, job_b](const GlobalOptions&) {
    bench::JobComparison comparison =
        bench::compare_jobs(bench::load_job_summary(*job_a), bench::load_job_summary(*job_b));
    std::cout << comparison.to_text();
    return 0;
  };
}

}  // namespace autoswarm::cli
