// What run_job and resume_job share: docker, labels, -n workers over the trials, the end.
#include "job_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <thread>

#include "autoswarm/bench/trials/container_owner.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/utc_time.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kTick = std::chrono::milliseconds(100);

std::string random_id() {
  std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// Removes whatever containers still carry the run's label; returns how many could not be.
// Nothing to do when the trials do not run in docker.
size_t sweep_containers(const TrialSettings& settings, const std::string& run_label) {
  if (!settings.environment.uses_docker()) return 0;
  try {
    std::vector<std::string> ids = settings.docker.containers_with_label(run_label);
    if (!ids.empty()) spdlog::debug("removing {} container(s) labelled {}", ids.size(), run_label);
    return settings.docker.remove_containers(ids);
  } catch (const Error& e) {
    spdlog::warn(
        "could not look for containers labelled {}: {} (check with `docker ps -a "
        "--filter label={}`)",
        run_label, e.what(), run_label);
    return 1;
  }
}

TrialResult internal_error_result(const Task& task, const TrialSettings& settings,
                                  const TrialDir& trial, const std::string& what) {
  TrialResult r;
  r.id = new_uuid();
  r.task_name = task.name;
  r.source = settings.source;
  r.agent_name = agent_name(settings.agent);
  r.config = trial_config_json(task, settings, trial);
  r.trial_name = trial.name();
  r.trial_dir = trial.path();
  r.task_dir = task.dir;
  r.started_at = r.finished_at = util::utc_timestamp_ms();
  r.error = TrialError{TrialErrorType::kTrialOutput, what, r.finished_at};
  return r;
}

void write_job_file(const fs::path& file, const json& content) {
  util::write_file_atomic(file, content.dump(2) + "\n", kJobFileMode);
}

}  // namespace

std::string ready_docker(JobOptions& options) {
  if (!options.trial.environment.uses_docker()) return "";
  const DockerCli& docker = options.trial.docker;
  std::string server_version = docker.ping();
  options.trial.build_network = docker.has_bridge_network();
  try {
    OrphanSweep sweep = remove_orphaned_containers(docker);
    if (!sweep.message().empty()) spdlog::warn("{}", sweep.message());
  } catch (const Error& e) {
    spdlog::warn("could not look for containers left by earlier bench runs: {}", e.what());
  }
  return server_version;
}

std::string label_trials(JobOptions& options, JobResult& job, const std::atomic<bool>& cancel,
                         const std::string& docker_server_version) {
  std::string run_id = random_id();
  options.trial.labels[kJobLabel] = job.job_name;
  options.trial.labels["autoswarm.run"] = run_id;
  options.trial.cancel = &cancel;
  options.trial.job_id = job.id;
  options.trial.source = options.dataset;
  job.run_options["container_labels"] = options.trial.labels;
  job.run_options["docker_server_version"] = docker_server_version;
  return "autoswarm.run=" + run_id;
}

void describe_agent(const JobOptions& options, JobResult& job) {
  job.agent = to_string(options.trial.agent);
  job.model = needs_llm(options.trial.agent) ? options.trial.model : "";
  job.declared_topology = options.trial.agent == AgentKind::kPipeline && options.trial.spec
                              ? options.trial.spec->topology()
                          : options.trial.agent == AgentKind::kSingle
                              ? single_agent_spec().topology()
                              : job.agent;
}

void run_trials(const std::vector<const Task*>& slots, const JobOptions& options,
                const JobDir& job_dir, const std::string& run_label, JobResult& job,
                const std::atomic<bool>& cancel, const JobCallbacks& callbacks) {
  if (slots.empty()) return;  // nothing to run, nothing to sweep
  // Workers take the next slot until none is left or the run is interrupted; the calling
  // thread reports, ticks and handles the interruption.
  std::mutex mutex;
  std::condition_variable changed;
  size_t next = 0, running = 0;
  std::deque<size_t> finished;
  const size_t n_trials = slots.size();
  std::vector<std::optional<TrialResult>> results(n_trials);
  auto started = std::chrono::steady_clock::now();

  // A stop request comes only from the workers' destructors: this thread is leaving by an
  // exception, and the workers finish the trial they run and take no new one.
  auto worker = [&](const std::stop_token& stop) {
    for (;;) {
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (cancel.load() || stop.stop_requested() || next >= n_trials) return;
        index = next++;
        ++running;
      }
      const Task& task = *slots[index];
      const TrialDir trial = [&] {
        std::lock_guard<std::mutex> lock(mutex);  // two attempts must not draw the same name
        TrialDir t = job_dir.new_trial(task.dir.filename().string());
        util::ensure_directory(t.path(), kJobDirMode);
        return t;
      }();
      TrialResult r;
      for (size_t retry = 0;; ++retry) {
        try {
          r = run_trial(task, options.trial, trial);
        } catch (const std::exception& e) {
          r = internal_error_result(task, options.trial, trial, e.what());
          spdlog::error("{}: {}", task.name, e.what());
        }
        if (!r.error || retry >= options.retry.max_retries || cancel.load() ||
            !options.retry.should_retry(to_string(r.error->type))) {
          break;
        }
        auto wait = options.retry.wait_before(retry);
        spdlog::warn("{}: {} ({}); retrying in {:.0f} s ({} of {})", task.name,
                     to_string(r.error->type), r.error->message,
                     std::chrono::duration<double>(wait).count(), retry + 1, options.retry.max_retries);
        for (auto until = std::chrono::steady_clock::now() + wait;
             std::chrono::steady_clock::now() < until && !cancel.load();) {
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              kTick, until - std::chrono::steady_clock::now()));
        }
        if (cancel.load()) break;
        {
          std::lock_guard<std::mutex> lock(mutex);
          ++job.n_retries;
        }
        // Harbor retries a trial in its own directory, from a clean one.
        std::error_code ec;
        fs::remove_all(trial.path(), ec);
        util::ensure_directory(trial.path(), kJobDirMode);
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        results[index] = std::move(r);
        finished.push_back(index);
        --running;
      }
      changed.notify_all();
    }
  };
  size_t n_workers = std::max<size_t>(1, std::min(options.n_concurrent, n_trials));
  std::vector<std::jthread> workers;  // joined below, or by their destructors
  for (size_t i = 0; i < n_workers && n_trials > 0; ++i) workers.emplace_back(worker);

  // result.json as the job goes, as Harbor keeps it: the finished trials, the running and
  // pending counts; a job killed mid-run leaves one that says how far it got.
  std::vector<size_t> finished_order;
  auto write_progress = [&](size_t running_now) {
    JobResult snapshot = [&] {
      std::lock_guard<std::mutex> lock(mutex);  // n_retries is the workers'
      JobResult copy = job;
      return copy;
    }();
    for (size_t i : finished_order) snapshot.trials.push_back(*results[i]);
    snapshot.n_running = running_now;
    snapshot.updated_at = util::utc_timestamp_ms();
    write_job_file(job_dir.result_file(), snapshot.harbor_json());
  };
  write_progress(0);

  JobProgress progress;
  progress.total = n_trials;
  for (;;) {
    std::vector<size_t> done_now;
    bool all_done;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, kTick, [&] { return !finished.empty(); });
      done_now.assign(finished.begin(), finished.end());
      finished.clear();
      progress.running = running;
      all_done = running == 0 && (next >= n_trials || cancel.load());
    }
    progress.elapsed = std::chrono::steady_clock::now() - started;
    if (!done_now.empty()) {
      finished_order.insert(finished_order.end(), done_now.begin(), done_now.end());
      write_progress(progress.running);
    }
    for (size_t index : done_now) {
      const TrialResult& r = *results[index];
      ++progress.done;
      if (r.passed()) ++progress.passed;
      if (r.error) ++progress.errors;
      if (callbacks.on_trial_finished) callbacks.on_trial_finished(r, progress);
    }
    if (cancel.load() && !job.interrupted) {
      job.interrupted = true;
      if (callbacks.on_interrupt) callbacks.on_interrupt();
      // Removing the containers ends every docker exec at once; the trials then wind down.
      sweep_containers(options.trial, run_label);
    }
    if (all_done) break;
    if (callbacks.on_tick) callbacks.on_tick(progress);
  }
  for (auto& w : workers) w.join();
  job.interrupted = job.interrupted || cancel.load();

  // Anything a trial could not remove (or a docker run that raced the interruption).
  job.containers_left = sweep_containers(options.trial, run_label);
  for (auto& r : results) {
    if (r) job.trials.push_back(std::move(*r));
  }
}

void write_final_job_files(const JobDir& job_dir, JobResult& job) {
  job.finished_at = util::utc_timestamp_ms();
  write_job_file(job_dir.result_file(), job.harbor_json());
  write_job_file(job_dir.summary_file(), job.summary_json());
}

}  // namespace autoswarm::bench
