// `autoswarm bench run`: loads the tasks and the spec, chooses the upstream, runs every trial
// in Docker (-n at a time) into a job directory, and prints one line per trial and a summary.
// Exit 0 when the run completed (whatever the score), 1 for a bad spec, no usable tasks, no
// docker or no LLM, 130/143 when interrupted by SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "autoswarm/bench/spec/env_file.h"
#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/bench/trials/job.h"
#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/error.h"
#include "bench_commands.h"
#include "bench_progress.h"
#include "upstream_flags.h"

namespace autoswarm::cli {
namespace {

namespace fs = std::filesystem;

struct RunFlags {
  std::string tasks_dir = "tasks";
  std::string spec_file = "pipeline_spec.yaml";
  std::string agent = "pipeline";
  size_t n_concurrent = 4;
  size_t n_attempts = 1;
  size_t max_retries = 0;
  std::vector<std::string> retry_include;
  std::vector<std::string> retry_exclude;
  double timeout_multiplier = 1.0;
  std::optional<size_t> n_tasks;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::string jobs_dir = "jobs";
  std::string job_name;
  std::optional<std::string> env_file;
  bool allow_internet = false;
  int64_t pids_limit = bench::kDefaultPidsLimit;
  std::vector<std::string> cap_add;
  bool no_cap_drop = false;
  UpstreamFlags upstream;
};

// Ctrl-C / SIGTERM / SIGHUP: the first asks the run to stop (it removes its containers and writes
// what it has); a second, while that is under way, exits at once and leaves the removal of this
// process's containers to a detached `docker rm` (and to the next run's sweep).
std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};
std::atomic<int> g_signal_count{0};  // lock-free: safe in a signal handler
const bench::OwnContainersRemover* g_remover = nullptr;  // set before the handlers

void on_stop_signal(int sig) {
  g_signal = sig;
  g_cancel = true;
  if (g_signal_count.fetch_add(1) + 1 >= 2) {
    const char msg[] =
        "\nautoswarm: stopping now; this run's containers are being removed in the background "
        "(see `docker ps -a --filter label=autoswarm.job`)\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    if (g_remover != nullptr) g_remover->launch();
    ::_exit(128 + sig);
  }
}

void install_stop_handlers(const bench::DockerCli& docker) {
  static const bench::OwnContainersRemover remover(docker);
  g_remover = &remover;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);  // the terminal went away: clean up all the same
  // A closed stdout (`| head -1`) must not kill the run before it removes its containers.
  ::signal(SIGPIPE, SIG_IGN);
}

std::string provider_name(llm::ServerKind kind) {
  switch (kind) {
    case llm::ServerKind::kLmStudio:
      return "lmstudio";
    case llm::ServerKind::kOllama:
      return "ollama";
    case llm::ServerKind::kVllm:
      return "vllm";
    case llm::ServerKind::kCustom:
      return "openai-compatible";
  }
  return "openai-compatible";
}

bool serves(const std::vector<upstream::ServerStatus>& findings, const llm::Endpoint& s,
            const std::string& model) {
  for (const auto& f : findings) {
    if (!(f.url == s.url)) continue;
    for (const auto& m : f.models)
      if (m == model) return true;
    for (const auto& m : f.loaded)
      if (m == model) return true;
  }
  return false;
}

// The upstream and model, as `autoswarm start` chooses them; the spec's model when the upstream
// serves it and --model was not given.
std::optional<llm::Endpoint> choose_llm(const RunFlags& f, const bench::PipelineSpec* spec) {
  upstream::UpstreamOptions options = f.upstream.options();
  std::vector<upstream::ServerStatus> findings;
  auto no_upstream = [&] {
    print_no_upstream(findings, " for the pipeline agent",
                      "Start one of them (or pass --upstream URL --model NAME), or run the tasks' "
                      "reference solutions with --agent oracle.");
  };
  if (!f.upstream.model && spec != nullptr && !spec->model.empty()) {
    upstream::UpstreamOptions with_spec_model = options;
    with_spec_model.model = spec->model;
    auto chosen = upstream::choose_upstream(with_spec_model, &findings);
    if (chosen && serves(findings, *chosen, spec->model)) return chosen;
    findings.clear();
    auto fallback = upstream::choose_upstream(options, &findings);
    if (fallback) {
      spdlog::warn("{}: model '{}' is not served by {}; using '{}' (pass --model to choose)",
                   spec->file, spec->model, fallback->url.str(), fallback->model);
      return fallback;
    }
    no_upstream();
    return std::nullopt;
  }
  auto chosen = upstream::choose_upstream(options, &findings);
  if (!chosen) no_upstream();
  return chosen;
}

// Once per run, what the tasks ask for that this run will not do: the task.toml fields it does
// not act on, and tasks that want the internet (Harbor's containers have it by default; ours
// only with --allow-internet).
void warn_about_task_fields(const std::vector<bench::Task>& tasks, bool allow_internet) {
  std::map<std::string, size_t> ignored;
  size_t want_internet = 0;
  for (const bench::Task& t : tasks) {
    for (const std::string& field : t.ignored_fields) ++ignored[field];
    if (t.environment.allow_internet_declared) ++want_internet;
  }
  if (!ignored.empty()) {
    std::string fields;
    for (const auto& [field, count] : ignored) {
      fields += (fields.empty() ? "" : ", ") + field + " (" + std::to_string(count) + (count == 1 ? " task)" : " tasks)");
    }
    spdlog::warn("task.toml fields autoswarm bench does not act on, ignored: {}", fields);
  }
  if (want_internet > 0 && !allow_internet) {
    spdlog::warn("{} task(s) set [environment].allow_internet = true, but containers run without a network "
                 "unless you pass --allow-internet: what they download (pip install, git clone) fails",
                 want_internet);
  }
}

int run_bench(const RunFlags& f, const GlobalOptions& global) {
  std::optional<bench::AgentKind> kind = bench::parse_agent_kind(f.agent);
  if (!kind) {
    throw UsageError("--agent '" + f.agent + "': expected pipeline, single, oracle or nop");
  }
  if (f.n_concurrent == 0) throw UsageError("-n must be at least 1");

  // The spec: required (and valid) for the pipeline; the single agent uses only its prices.
  std::optional<bench::PipelineSpec> spec;
  if (*kind == bench::AgentKind::kPipeline) {
    if (!fs::exists(f.spec_file)) {
      throw FileError("no pipeline spec at " + f.spec_file +
                      ": pass --spec FILE (the baseline is "
                      "benchmark/pipeline_spec.yaml), or use --agent oracle to run the tasks' "
                      "reference solutions");
    }
    spec = bench::load_valid_pipeline_spec(f.spec_file);
  } else if (*kind == bench::AgentKind::kSingle && fs::exists(f.spec_file)) {
    spec = bench::load_pipeline_spec(f.spec_file);
  }

  if (f.n_attempts == 0) throw UsageError("-k/--n-attempts must be at least 1");
  if (!(f.timeout_multiplier > 0)) throw UsageError("--timeout-multiplier must be more than 0");
  for (const auto* list : {&f.retry_include, &f.retry_exclude}) {
    for (const std::string& type : *list) {
      if (!bench::parse_trial_error_type(type)) {
        spdlog::warn("--retry-include/--retry-exclude {}: no trial ends with that error type (they "
                     "are named as in exception_info, e.g. EnvironmentStartError)", type);
      }
    }
  }
  bench::TaskFilter filter{.include = f.include, .exclude = f.exclude, .limit = f.n_tasks};
  bench::TaskSet set = bench::load_tasks(f.tasks_dir, filter);
  // Harbor's timeout_multiplier: every timeout of every task, build, agent and verifier.
  for (bench::Task& task : set.tasks) {
    task.environment.build_timeout_sec *= f.timeout_multiplier;
    task.agent.timeout_sec *= f.timeout_multiplier;
    task.verifier.timeout_sec *= f.timeout_multiplier;
  }
  for (const auto& p : set.problems) spdlog::warn("skipping a task: {}", p.message());
  warn_about_task_fields(set.tasks, f.allow_internet);
  if (set.tasks.empty()) {
    throw Error("no usable tasks in " + f.tasks_dir +
                (set.problems.empty() ? std::string(" (none matched the filters)")
                                      : " (" + std::to_string(set.problems.size()) +
                                            " could not be used; see above)") +
                ": each task is a directory with instruction.md, task.toml and tests/test.sh");
  }
  bench::EnvMap env_lookup;
  if (f.env_file) env_lookup = bench::load_env_file(*f.env_file);

  bench::JobOptions options;
  options.jobs_dir = f.jobs_dir;
  options.job_name = f.job_name;
  options.n_concurrent = f.n_concurrent;
  options.n_attempts = f.n_attempts;
  options.retry.max_retries = f.max_retries;
  if (!f.retry_include.empty()) options.retry.include = f.retry_include;
  if (!f.retry_exclude.empty()) options.retry.exclude = f.retry_exclude;
  options.trial.timeout_multiplier = f.timeout_multiplier;
  options.dataset = fs::weakly_canonical(fs::absolute(f.tasks_dir)).filename().string();
  options.trial.agent = *kind;
  options.trial.allow_internet = f.allow_internet;
  options.trial.pids_limit = f.pids_limit;
  options.trial.drop_capabilities = !f.no_cap_drop;
  options.trial.extra_capabilities = f.cap_add;
  options.trial.env_lookup = env_lookup;
  options.trial.spec = spec ? &*spec : nullptr;
  options.trial.docker.ping();  // before choosing an LLM: no docker, no run

  std::unique_ptr<llm::Client> client;
  std::string upstream_url;
  if (bench::needs_llm(*kind)) {
    std::optional<llm::Endpoint> selection = choose_llm(f, spec ? &*spec : nullptr);
    if (!selection) return 1;
    client = std::make_unique<llm::Client>(llm::ClientOptions::for_endpoint(*selection));
    // The run's model is the one every stage without its own `model` calls: pipeline.model only
    // when it was chosen above (served, and no --model given).
    if (spec && !spec->model.empty() && spec->model != selection->model) {
      if (f.upstream.model) {
        spdlog::info("--model {} overrides pipeline.model '{}' of {}", selection->model,
                     spec->model, spec->file);
      }
      spec->model = selection->model;
    }
    options.trial.client = client.get();
    options.trial.model = selection->model;
    options.trial.model_provider = provider_name(selection->kind);
    upstream_url = selection->url.str();
    spdlog::info("agent {} with {} at {}", f.agent, selection->model, upstream_url);
  }
  options.dataset_path = f.tasks_dir;
  options.include = f.include;
  options.exclude = f.exclude;
  options.n_tasks = f.n_tasks;
  options.run_options = {
      {"tasks_dir", fs::absolute(f.tasks_dir).lexically_normal().string()},
      {"spec_file", spec ? fs::absolute(f.spec_file).lexically_normal().string() : ""},
      {"include", f.include},
      {"exclude", f.exclude},
      {"n_tasks", f.n_tasks ? nlohmann::json(*f.n_tasks) : nlohmann::json(nullptr)},
      {"allow_internet", f.allow_internet},
      {"pids_limit", f.pids_limit},
      {"cap_drop_all", !f.no_cap_drop},
      {"cap_add", f.cap_add},
      {"env_file", f.env_file.value_or("")},
      {"upstream", upstream_url},
  };

  bool live = ::isatty(STDOUT_FILENO) != 0;
  BenchProgress progress(live, global.color);
  bench::JobCallbacks callbacks{
      .on_trial_finished = [&](const bench::TrialResult& t,
                               const bench::JobProgress& p) { progress.trial_finished(t, p); },
      .on_tick = [&](const bench::JobProgress& p) { progress.tick(p); },
      .on_interrupt =
          [&] {
            progress.interrupted();
            // Calls waiting on a slow model end now; their trials end as interrupted.
            if (client) client->abort();
          },
  };
  install_stop_handlers(options.trial.docker);
  bench::JobResult job = bench::run_job(set.tasks, options, g_cancel, callbacks);
  progress.finish();

  if (job.containers_left > 0) {
    spdlog::error("{} container(s) could not be removed: `docker ps -a --filter label={}={}`",
                  job.containers_left, bench::kJobLabel, job.job_name);
  }
  std::cout << job.summary_line() << std::endl;
  if (job.interrupted) {
    std::cerr << "interrupted after " << job.trials.size() << " of " << job.n_total
              << " trials; what finished is in " << job.job_dir.string() << "\n";
    return 128 + (g_signal.load() != 0 ? g_signal.load() : SIGINT);
  }
  return job.containers_left > 0 ? 1 : 0;
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
