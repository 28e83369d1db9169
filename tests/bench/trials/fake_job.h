// A job of oracle trials on FakeEnvironments, run by run_job without docker, for the tests of
// what reads and finishes jobs (bench resume's core and command).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "autoswarm/bench/trials/job.h"
#include "autoswarm/bench/trials/job_resume.h"
#include "autoswarm/util/files.h"
#include "fake_verifier_scripts.h"
#include "support/fake_environment.h"
#include "support/temp_dir.h"

namespace autoswarm::testing {

// `n_tasks` oracle tasks, task-1 … task-N, each solved and passing, run -k `attempts` into
// <tmp>/jobs/job on fake environments that record which task each was started for.
struct FakeJob {
  using Task = bench::Task;
  using JobOptions = bench::JobOptions;
  using JobResult = bench::JobResult;
  using JobDir = bench::JobDir;
  TempDir tmp;
  std::vector<Task> tasks;
  JobOptions options;
  std::atomic<bool> cancel{false};
  std::mutex mutex;
  std::vector<std::string> started;               // the task of every environment started
  std::function<void()> on_start = [] {};         // runs as each environment starts

  FakeJob(size_t n_tasks, size_t attempts) {
    for (size_t i = 1; i <= n_tasks; ++i) {
      const std::filesystem::path dir = tmp / "tasks" / ("task-" + std::to_string(i));
      util::ensure_directory(dir / "tests");
      util::ensure_directory(dir / "solution");
      util::ensure_directory(dir / "environment");
      util::write_file_atomic(dir / "environment" / "Dockerfile", "FROM autoswarm-base\n");
      util::write_file_atomic(dir / "instruction.md", "Do it.\n");
      util::write_file_atomic(dir / "task.toml", "");
      util::write_file_atomic(dir / "tests" / "test.sh", "true\n");
      util::write_file_atomic(dir / "solution" / "solve.sh", "true\n");
    }
    tasks = bench::load_tasks(tmp / "tasks").tasks;
    options.jobs_dir = tmp / "jobs";
    options.job_name = "job";
    options.n_concurrent = 3;
    options.n_attempts = attempts;
    options.dataset = "tasks";
    options.dataset_path = tmp / "tasks";
    options.run_options = {{"tasks_dir", (tmp / "tasks").string()}, {"spec_file", ""}};
    options.trial.agent = bench::AgentKind::kOracle;
    options.trial.environment.build_image = [](const Task&, const bench::ImageOptions&) {
      return std::string("autoswarm-task:fake");
    };
    options.trial.environment.start = [this](const bench::ContainerOptions& container) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        started.push_back(container.labels.at("autoswarm.task"));
      }
      on_start();
      auto env = std::make_unique<FakeEnvironment>();
      act_out_verifier_scripts(*env);
      env->on_command("cat > /task/instruction.md", bench::ExecResult{.exit_code = 0, .out = "/app\n"});
      FakeEnvironment& e = *env;
      env->on_command("bash /tests/test.sh", [&e](const FakeEnvironment::Call&) {
        e.set_file("/logs/verifier/reward.txt", "1\n");
        return bench::ExecResult{.exit_code = 0};
      });
      return std::unique_ptr<bench::Environment>(std::move(env));
    };
  }

  JobDir job() const { return JobDir(tmp / "jobs" / "job"); }
  JobResult run() { return bench::run_job(tasks, options, cancel); }
  JobResult resume(const bench::RecordedRun& run, const bench::ResumePlan& plan) {
    started.clear();
    return bench::resume_job(tasks, options, job(), run, plan, cancel);
  }
  std::multiset<std::string> started_tasks() const { return {started.begin(), started.end()}; }
};

}  // namespace autoswarm::testing
