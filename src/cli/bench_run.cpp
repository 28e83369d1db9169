// `autoswarm bench run`: loads the tasks and the spec, chooses the upstream, runs every trial
// in Docker (-n at a time) into a job directory, and prints one line per trial and a summary.
// Exit 0 when the run completed (whatever the score), 1 for a bad spec, no usable tasks, no
// docker or no LLM, 130/143 when interrupted by SIGINT/SIGTERM.
#include <memory>
#include <optional>

#include "autoswarm/bench/trials/job.h"
#include "bench_commands.h"
#include "bench_job_setup.h"

namespace autoswarm::cli {
namespace {

int run_bench(const RunFlags& f, const GlobalOptions& global) {
  std::optional<PreparedJob> job = prepare_job(f);
  if (!job) return 1;
  return run_with_progress(*job, global, [&](const std::atomic<bool>& cancel, const bench::JobCallbacks& callbacks) {
    return bench::run_job(job->tasks, job->options, cancel, callbacks);
  });
}

}  // namespace

Runner configure_bench_run(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  app.add_option("--tasks,-p,--path", f->tasks_dir, "Directory of Harbor-format tasks")
      ->capture_default_str();
  app.add_option("--spec", f->spec_file, "The pipeline spec (pipeline agent)")
      ->capture_default_str();
  app.add_option("--agent,-a", f->agent,
                 "pipeline, single (one-stage baseline), oracle "
                 "(the tasks' solutions) or nop")
      ->capture_default_str();
  app.add_option("-n,--n-concurrent", f->n_concurrent, "Trials run at the same time")
      ->capture_default_str();
  app.add_option("-k,--n-attempts", f->n_attempts,
                 "Trials per task, each its own trial (pass@k in result.json, pass^k in the summary)")
      ->capture_default_str();
  app.add_option("-r,--max-retries", f->max_retries,
                 "Run a trial that failed again, up to this many times")
      ->capture_default_str();
  app.add_option("--retry-include", f->retry_include,
                 "Retry only trials that failed with this error type (repeatable; default: any)");
  app.add_option("--retry-exclude", f->retry_exclude,
                 "Never retry this error type (repeatable; default: AgentTimeoutError, "
                 "VerifierTimeoutError, RewardFileNotFoundError, RewardFileEmptyError, "
                 "VerifierOutputParseError)");
  app.add_option("--timeout-multiplier", f->timeout_multiplier,
                 "Multiply every task's build, agent and verifier timeout by this")
      ->capture_default_str();
  app.add_option("-l,--n-tasks", f->n_tasks, "Run at most this many tasks (in name order)");
  app.add_option("-i,--include,--include-task-name,-t,--task-name", f->include,
                 "Only tasks whose name matches this glob (repeatable)");
  app.add_option("-x,--exclude,--exclude-task-name", f->exclude,
                 "Skip tasks whose name matches this glob (repeatable)");
  app.add_option("-o,--jobs-dir", f->jobs_dir, "Where job directories go")->capture_default_str();
  app.add_option("--job-name", f->job_name, "The job directory's name (default: the start time)");
  app.add_option("--env-file", f->env_file,
                 "KEY=VALUE file resolving ${VAR} in the tasks' env tables");
  app.add_flag("--allow-internet", f->allow_internet,
               "Give network access to tasks whose task.toml allows it (default: none)");
  app.add_option("--pids-limit", f->pids_limit,
                 "At most this many processes in a task container (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--cap-add", f->cap_add,
                 "A Linux capability task containers get on top of the defaults, e.g. NET_RAW "
                 "(repeatable)");
  app.add_flag("--no-cap-drop", f->no_cap_drop,
               "Run task containers with Docker's default capabilities instead of dropping all "
               "but the few tasks need");
  f->upstream.add_to(app);
  return [f](const GlobalOptions& global) { return run_bench(*f, global); };
}

}  // namespace autoswarm::cli
