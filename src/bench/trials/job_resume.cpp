// bench resume: reading a job back, sorting its trials, and running what is missing.
#include "autoswarm/bench/trials/job_resume.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/sha256.h"
#include "autoswarm/util/utc_time.h"
#include "job_run.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

size_t count_at(const json& j, const char* key, size_t fallback) {
  return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<size_t>() : fallback;
}

// A job file that must be there: FileError naming it when it is missing or not an object.
json required_object(const fs::path& file, const std::string& missing_hint) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) throw FileError("no " + file.string() + ": " + missing_hint);
  json j = read_job_json(file);
  if (!j.is_object()) throw FileError(file.string() + " is not a JSON object");
  return j;
}

}  // namespace

RecordedRun read_recorded_run(const JobDir& job) {
  std::error_code ec;
  if (!fs::is_directory(job.path(), ec)) {
    throw FileError(job.path().string() + " is not a job directory: " +
                    (fs::exists(job.path(), ec) ? "it is not a directory" : "it does not exist") +
                    " (give a directory `autoswarm bench run` wrote, e.g. jobs/latest)");
  }
  json config = required_object(
      job.config_file(), job.path().string() +
                             " is not a job directory (give a directory `autoswarm bench run` "
                             "wrote, e.g. jobs/latest)");
  json extra = required_object(
      job.autoswarm_config_file(),
      "the job was written by an autoswarm without `bench resume`, which cannot tell how it was "
      "run; run it again with `autoswarm bench run`");

  RecordedRun run;
  run.job_id = util::string_field(extra, "job_id");
  run.job_name = job.name();
  run.started_at = util::string_field(extra, "started_at");
  run.tasks = util::string_list_field(extra, "tasks");
  run.run = util::object_field(extra, "run");
  run.spec = SpecOrigin::from_json(extra.value("spec", json()));
  if (run.job_id.empty() || run.tasks.empty()) {
    throw FileError(job.autoswarm_config_file().string() + " names no job_id or no tasks: it is not "
                    "one `autoswarm bench run` wrote");
  }

  if (!config.contains("agents") || !config["agents"].is_array() || config["agents"].empty() ||
      !config["agents"][0].is_object()) {
    throw FileError(job.config_file().string() + ": agents[0] is missing: it is not one `autoswarm bench run` wrote");
  }
  const json& agent = config["agents"][0];
  run.agent = util::string_field(agent, "name");
  run.model = util::string_field(agent, "model_name");
  run.n_concurrent = std::max<size_t>(1, count_at(config, "n_concurrent_trials", run.n_concurrent));
  run.n_attempts = std::max<size_t>(1, count_at(config, "n_attempts", run.n_attempts));
  if (config.contains("timeout_multiplier") && config["timeout_multiplier"].is_number() &&
      config["timeout_multiplier"].get<double>() > 0) {
    run.timeout_multiplier = config["timeout_multiplier"].get<double>();
  }
  const json& retry = util::object_field(config, "retry");
  run.retry.max_retries = count_at(retry, "max_retries", 0);
  if (retry.contains("include_exceptions") && retry["include_exceptions"].is_array()) {
    run.retry.include = util::string_list_field(retry, "include_exceptions");
  }
  if (retry.contains("exclude_exceptions") && retry["exclude_exceptions"].is_array()) {
    run.retry.exclude = util::string_list_field(retry, "exclude_exceptions");
  }
  if (config.contains("datasets") && config["datasets"].is_array() && !config["datasets"].empty()) {
    const json& dataset = config["datasets"][0];
    run.tasks_dir = util::string_field(dataset, "path");
    run.include = util::string_list_field(dataset, "task_names");
    run.exclude = util::string_list_field(dataset, "exclude_task_names");
  }
  if (run.tasks_dir.empty()) {
    throw FileError(job.config_file().string() + ": datasets[0].path is missing: it is not one `autoswarm bench run` wrote");
  }

  // What the run had done: its start and its retries so far (result.json may be cut short).
  json result = try_read_job_json(job.result_file());
  if (result.is_object()) {
    if (!util::string_field(result, "started_at").empty()) run.started_at = util::string_field(result, "started_at");
    run.n_retries = count_at(util::object_field(result, "stats"), "n_retries", 0);
  }
  return run;
}

std::unique_ptr<util::FileLock> lock_resume(const JobDir& job) {
  auto lock = std::make_unique<util::FileLock>(job.lock_file(), util::FileLock::Wait::kTry);
  if (!lock->held()) {
    throw Error("the job " + job.path().string() + " is being written by another autoswarm (a bench run "
                "or bench resume still going): wait for it to end, or stop it, then resume");
  }
  return lock;
}

std::vector<TrialDir> ResumePlan::to_remove() const {
  std::vector<TrialDir> out = cancelled;
  out.insert(out.end(), unfinished.begin(), unfinished.end());
  out.insert(out.end(), unreadable.begin(), unreadable.end());
  return out;
}

ResumePlan plan_resume(const JobDir& job, const RecordedRun& run) {
  ResumePlan plan;
  const std::set<std::string> planned(run.tasks.begin(), run.tasks.end());
  std::map<std::string, size_t> finished;  // task -> kept attempts
  size_t unplanned = 0;
  for (const TrialDir& trial : job.trial_dirs()) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(trial.result_file(), ec))) {
      plan.unfinished.push_back(trial);
      continue;
    }
    std::optional<TrialResult> r;
    try {
      r = TrialResult::from_json(try_read_job_json(trial.result_file()), trial);
    } catch (const FileError& e) {
      spdlog::warn("{}", e.what());
    }
    if (!r) {
      spdlog::warn("{} is not a finished trial's result (cut short?): the trial runs again",
                   trial.result_file().string());
      plan.unreadable.push_back(trial);
    } else if (r->error && r->error->type == TrialErrorType::kCancelled) {
      plan.cancelled.push_back(trial);
    } else {
      if (!planned.contains(r->task_name)) {
        spdlog::warn("{}: a trial of task '{}', which the job did not plan; it is kept", trial.path().string(),
                     r->task_name);
        ++unplanned;
      }
      ++finished[r->task_name];
      plan.kept.push_back(std::move(*r));
    }
  }
  for (size_t attempt = 0; attempt < run.n_attempts; ++attempt) {
    for (const std::string& task : run.tasks) {
      if (attempt >= finished[task]) plan.rerun.push_back(task);
    }
  }
  plan.n_total = run.tasks.size() * run.n_attempts + unplanned;

  json result = try_read_job_json(job.result_file());
  json summary = try_read_job_json(job.summary_file());
  plan.ended = result.is_object() && !util::string_field(result, "finished_at").empty() &&
               summary.is_object() && summary.contains("interrupted") &&
               summary["interrupted"] == false;
  return plan;
}

void require_unchanged_spec(const RecordedRun& run) {
  std::string spec_file = util::string_field(run.run, "spec_file");
  if (spec_file.empty() || !run.spec || run.spec->sha256.empty()) return;
  std::error_code ec;
  const bool exists = fs::is_regular_file(spec_file, ec);
  if (exists && util::sha256_hex(util::read_file(spec_file)) == run.spec->sha256) return;
  std::string commit = run.spec->git_short_commit.empty() ? "" : ", commit " + run.spec->commit_column();
  throw Error(spec_file + (exists ? " has changed" : " is gone") + " since the job " +
              run.job_name + " ran it (sha256 " + run.spec->sha256 + commit +
              "): resuming would mix two specs in one job; put back the file the job ran, or start a "
              "new job with `autoswarm bench run`");
}

JobResult resume_job(const std::vector<Task>& tasks, JobOptions options, const JobDir& job_dir,
                     const RecordedRun& run, const ResumePlan& plan,
                     const std::atomic<bool>& cancel, const JobCallbacks& callbacks) {
  if (options.n_attempts == 0) throw UsageError("-k/--n-attempts must be at least 1");
  // With nothing to run only the job's files are written: no docker needed.
  const std::string docker_server_version = plan.rerun.empty() ? "" : ready_docker(options);

  std::vector<const Task*> slots;
  std::set<std::string> missing;
  for (const std::string& name : plan.rerun) {
    auto it = std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.name == name; });
    if (it != tasks.end()) {
      slots.push_back(&*it);
    } else if (missing.insert(name).second) {
      spdlog::warn("task '{}' of the job is not among the tasks of {} any more: its trials are not run "
                   "and stay pending", name, run.tasks_dir.string());
    }
  }
  for (const TrialDir& trial : plan.to_remove()) {
    std::error_code ec;
    fs::remove_all(trial.path(), ec);
    if (ec) throw FileError("cannot remove " + trial.path().string() + " to run it again: " + ec.message());
  }

  JobResult job;
  job.job_dir = job_dir.path();
  job.job_name = run.job_name;
  job.id = run.job_id;
  job.n_attempts = options.n_attempts;
  job.n_total = plan.n_total;
  job.n_retries = run.n_retries;
  describe_agent(options, job);
  job.started_at = run.started_at.empty() ? util::utc_timestamp_ms() : run.started_at;
  job.resumed_at = util::utc_timestamp_ms();
  job.dataset = options.dataset;
  job.run_options = options.run_options.is_object() ? options.run_options : json::object();
  job.run_options["tasks"] = run.tasks;
  job.trials = plan.kept;
  const std::string run_label = label_trials(options, job, cancel, docker_server_version);
  spdlog::debug("resuming {}: {} kept, {} to run, containers labelled {}", job.job_dir.string(),
                plan.kept.size(), slots.size(), run_label);
  run_trials(slots, options, job_dir, run_label, job, cancel, callbacks);
  write_final_job_files(job_dir, job);
  return job;
}

}  // namespace autoswarm::bench
