// The flags, preparation and running a job that `bench run` and `bench resume` share.
#include "bench_job_setup.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <map>

#include "autoswarm/bench/spec/env_file.h"
#include "autoswarm/bench/spec/spec_origin.h"
#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "bench_progress.h"

namespace autoswarm::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string absolute_path(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

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

}  // namespace

RunFlags flags_of(const bench::RecordedRun& run, const UpstreamFlags& upstream) {
  RunFlags f;
  f.tasks_dir = run.tasks_dir.string();
  f.agent = run.agent;
  f.n_concurrent = run.n_concurrent;
  f.n_attempts = run.n_attempts;
  f.max_retries = run.retry.max_retries;
  if (run.retry.include) f.retry_include = *run.retry.include;
  f.retry_exclude = run.retry.exclude;
  f.timeout_multiplier = run.timeout_multiplier;
  f.include = run.include;
  f.exclude = run.exclude;
  const json& r = run.run;
  if (!util::string_field(r, "spec_file").empty()) f.spec_file = util::string_field(r, "spec_file");
  if (!util::string_field(r, "env_file").empty()) f.env_file = util::string_field(r, "env_file");
  f.allow_internet = r.contains("allow_internet") && r["allow_internet"] == true;
  if (r.contains("pids_limit") && r["pids_limit"].is_number_integer()) f.pids_limit = r["pids_limit"].get<int64_t>();
  if (r.contains("cap_add") && r["cap_add"].is_array()) {
    for (const json& cap : r["cap_add"]) {
      if (cap.is_string()) f.cap_add.push_back(cap.get<std::string>());
    }
  }
  f.no_cap_drop = r.contains("cap_drop_all") && r["cap_drop_all"] == false;
  f.upstream = upstream;
  if (!f.upstream.upstream && !util::string_field(r, "upstream").empty()) {
    f.upstream.upstream = util::string_field(r, "upstream");
  }
  if (!f.upstream.model && !run.model.empty()) f.upstream.model = run.model;
  return f;
}

std::optional<PreparedJob> prepare_job(const RunFlags& f, const std::vector<std::string>* only_tasks,
                                       bool connect) {
  std::optional<bench::AgentKind> kind = bench::parse_agent_kind(f.agent);
  if (!kind) {
    throw UsageError("--agent '" + f.agent + "': expected pipeline, single, oracle or nop");
  }
  if (f.n_concurrent == 0) throw UsageError("-n must be at least 1");

  PreparedJob job;
  // The spec: required (and valid) for the pipeline; the single agent uses only its prices.
  if (*kind == bench::AgentKind::kPipeline) {
    if (!fs::exists(f.spec_file)) {
      throw FileError("no pipeline spec at " + f.spec_file +
                      ": pass --spec FILE (the baseline is "
                      "benchmark/pipeline_spec.yaml), or use --agent oracle to run the tasks' "
                      "reference solutions");
    }
    job.spec = std::make_unique<bench::PipelineSpec>(bench::load_valid_pipeline_spec(f.spec_file));
  } else if (*kind == bench::AgentKind::kSingle && fs::exists(f.spec_file)) {
    job.spec = std::make_unique<bench::PipelineSpec>(bench::load_pipeline_spec(f.spec_file));
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
  bench::TaskFilter filter{.include = f.include, .exclude = f.exclude,
                           .limit = only_tasks ? std::nullopt : f.n_tasks};
  bench::TaskSet set = bench::load_tasks(f.tasks_dir, filter);
  if (only_tasks) {
    std::erase_if(set.tasks, [&](const bench::Task& t) {
      return std::find(only_tasks->begin(), only_tasks->end(), t.name) == only_tasks->end();
    });
  }
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

  bench::JobOptions& options = job.options;
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
  options.trial.spec = job.spec.get();
  if (connect) options.trial.docker.ping();  // before choosing an LLM: no docker, no run

  std::string upstream_url;
  if (!connect) {
    options.trial.model = f.upstream.model.value_or("");
    upstream_url = f.upstream.upstream.value_or("");
  } else if (bench::needs_llm(*kind)) {
    std::optional<llm::Endpoint> selection = choose_llm(f, job.spec.get());
    if (!selection) return std::nullopt;
    job.client = std::make_unique<llm::Client>(llm::ClientOptions::for_endpoint(*selection));
    // The run's model is the one every stage without its own `model` calls: pipeline.model only
    // when it was chosen above (served, and no --model given).
    if (job.spec && !job.spec->model.empty() && job.spec->model != selection->model) {
      if (f.upstream.model) {
        spdlog::info("--model {} overrides pipeline.model '{}' of {}", selection->model,
                     job.spec->model, job.spec->file);
      }
      job.spec->model = selection->model;
    }
    options.trial.client = job.client.get();
    options.trial.model = selection->model;
    options.trial.model_provider = provider_name(selection->kind);
    upstream_url = selection->url.str();
    spdlog::info("agent {} with {} at {}", f.agent, selection->model, upstream_url);
  }
  options.dataset_path = f.tasks_dir;
  options.include = f.include;
  options.exclude = f.exclude;
  options.n_tasks = f.n_tasks;
  // What config.json has no field for; bench resume reads these back (flags_of).
  options.run_options = {
      {"tasks_dir", absolute_path(f.tasks_dir)},
      {"spec_file", job.spec ? absolute_path(f.spec_file) : ""},
      {"include", f.include},
      {"exclude", f.exclude},
      {"n_tasks", f.n_tasks ? json(*f.n_tasks) : json(nullptr)},
      {"allow_internet", f.allow_internet},
      {"pids_limit", f.pids_limit},
      {"cap_drop_all", !f.no_cap_drop},
      {"cap_add", f.cap_add},
      {"env_file", f.env_file ? absolute_path(*f.env_file) : ""},
      {"upstream", upstream_url},
  };
  // The spec the run used, else the one bench record would name (./pipeline_spec.yaml).
  options.spec_origin = bench::spec_origin(f.spec_file);
  options.skipped_tasks = set.problems;
  job.tasks = std::move(set.tasks);
  return job;
}

int run_with_progress(PreparedJob& job, const GlobalOptions& global, const StartJob& start) {
  bool live = ::isatty(STDOUT_FILENO) != 0;
  BenchProgress progress(live, global.color);
  llm::Client* client = job.client.get();
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
  install_stop_handlers(job.options.trial.docker);
  bench::JobResult result = start(g_cancel, callbacks);
  progress.finish();

  if (result.containers_left > 0) {
    spdlog::error("{} container(s) could not be removed: `docker ps -a --filter label={}={}`",
                  result.containers_left, bench::kJobLabel, result.job_name);
  }
  std::cout << result.summary_line() << std::endl;
  if (result.interrupted) {
    std::cerr << "interrupted after " << result.trials.size() << " of " << result.n_total
              << " trials; what finished is in " << result.job_dir.string()
              << " (finish it with `autoswarm bench resume " << result.job_dir.string() << "`)\n";
    return 128 + (g_signal.load() != 0 ? g_signal.load() : SIGINT);
  }
  return result.containers_left > 0 ? 1 : 0;
}

}  // namespace autoswarm::cli
