// What `bench run` and `bench resume` share: the run's flags and how a job records the ones
// Harbor's config.json has no field for, turning the flags into a job's tasks, spec, LLM and
// JobOptions, and running a job under the stop signals with the progress display, the summary
// line and the exit code.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/spec/pipeline_spec.h"
#include "autoswarm/bench/trials/job.h"
#include "autoswarm/bench/trials/job_resume.h"
#include "autoswarm/llm/client.h"
#include "command.h"
#include "upstream_flags.h"

namespace autoswarm::cli {

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

// The flags of the job a resume finishes: config.json's, and autoswarm_config.json's "run"
// (as prepare_job records them); the upstream and model the run used unless `upstream` names
// others (--upstream, --model; the key is never recorded: --api-key or $OPENAI_API_KEY).
RunFlags flags_of(const bench::RecordedRun& run, const UpstreamFlags& upstream);

// A job ready to run: what the options point at lives here.
struct PreparedJob {
  std::unique_ptr<bench::PipelineSpec> spec;
  std::unique_ptr<llm::Client> client;
  std::vector<bench::Task> tasks;
  bench::JobOptions options;
};

// Checks the flags, loads the spec (a pipeline needs a valid one) and the tasks (unusable ones
// warned about, and recorded as skipped), checks docker, chooses the LLM, and fills in the
// options, with run_options the flags config.json has no field for and the spec's origin.
// `only_tasks` (bench resume): the tasks of these names, whatever the filters' limit.
// `connect` false: neither docker nor the LLM is asked (a resume with nothing to run; the
// model is --model's). nullopt when no usable LLM was found (the report printed). Throws
// UsageError / Error otherwise.
std::optional<PreparedJob> prepare_job(const RunFlags& f,
                                       const std::vector<std::string>* only_tasks = nullptr,
                                       bool connect = true);

// Runs `start` (run_job or resume_job over `job`) with the Ctrl-C / SIGTERM / SIGHUP handlers
// and the progress display, prints the summary line, and returns bench run's exit code: 0, 1
// when containers were left, 128 + the signal when interrupted.
using StartJob = std::function<bench::JobResult(const std::atomic<bool>& cancel,
                                                const bench::JobCallbacks& callbacks)>;
int run_with_progress(PreparedJob& job, const GlobalOptions& global, const StartJob& start);

}  // namespace autoswarm::cli
