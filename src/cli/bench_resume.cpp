// `autoswarm bench resume JOB_DIR`: finishes a job that did not (Ctrl-C, SIGKILL, a crash) with
// the settings it was run with: keeps its finished trials, runs the cancelled, unfinished and
// unreadable ones and those never started again, and rewrites the job's result. Prints
// `kept=N rerun=M …`, one line per trial run, and the summary line; exit codes as bench run's.
// A job that is complete says so and exits 0 without running anything.
#include <iostream>
#include <memory>
#include <optional>

#include "autoswarm/bench/trials/job_resume.h"
#include "bench_commands.h"
#include "bench_job_setup.h"

namespace autoswarm::cli {
namespace {

struct ResumeFlags {
  std::string job_dir;
  UpstreamFlags upstream;
};

// `kept=8 rerun=8 cancelled=1 unfinished=2 unreadable=1 not_started=4 job=jobs/x`
std::string plan_line(const bench::ResumePlan& plan, const bench::JobDir& job) {
  size_t removed = plan.to_remove().size();
  size_t not_started = plan.rerun.size() > removed ? plan.rerun.size() - removed : 0;
  return "kept=" + std::to_string(plan.kept.size()) + " rerun=" + std::to_string(plan.rerun.size()) +
         " cancelled=" + std::to_string(plan.cancelled.size()) +
         " unfinished=" + std::to_string(plan.unfinished.size()) +
         " unreadable=" + std::to_string(plan.unreadable.size()) +
         " not_started=" + std::to_string(not_started) + " job=" + job.path().string();
}

int run_resume(const ResumeFlags& f, const GlobalOptions& global) {
  const bench::JobDir job(f.job_dir);
  const bench::RecordedRun run = bench::read_recorded_run(job);
  const auto lock = bench::lock_resume(job);
  const bench::ResumePlan plan = bench::plan_resume(job, run);
  if (plan.complete()) {
    std::cout << "job " << job.path().string() << " is complete: all " << plan.kept.size()
              << " trials finished; nothing to resume" << std::endl;
    return 0;
  }
  bench::require_unchanged_spec(run);
  // Nothing left to run (killed after its last trial): only the job's files are written, with
  // neither docker nor an LLM.
  const bool connect = !plan.rerun.empty();
  std::optional<PreparedJob> prepared = prepare_job(flags_of(run, f.upstream), &run.tasks, connect);
  if (!prepared) return 1;
  std::cout << plan_line(plan, job) << std::endl;
  return run_with_progress(*prepared, global,
                           [&](const std::atomic<bool>& cancel, const bench::JobCallbacks& callbacks) {
                             return bench::resume_job(prepared->tasks, prepared->options, job, run,
                                                      plan, cancel, callbacks);
                           });
}

}  // namespace

Runner configure_bench_resume(CLI::App& app) {
  auto f = std::make_shared<ResumeFlags>();
  app.add_option("job_dir", f->job_dir, "The job directory `bench run` wrote (e.g. jobs/latest)")
      ->required();
  f->upstream.add_to(app);
  app.footer(
      "The tasks, spec, agent, attempts, retries, -n and the container settings are the job's "
      "own (config.json, autoswarm_config.json). --upstream and --model default to the ones the "
      "job used; the API key is never recorded (--api-key, --api-key-file or $OPENAI_API_KEY).");
  return [f](const GlobalOptions& global) { return run_resume(*f, global); };
}

}  // namespace autoswarm::cli
