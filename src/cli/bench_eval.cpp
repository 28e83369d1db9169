// `autoswarm bench eval [JOB_DIR]`: scores every stage of every trial of a job with the LLM
// judge, prints one line per trial and last the job aggregate `stage_scores: plan:0.82,…`.
// Exit 0 when every stage was judged, 1 when a judge call failed (its score is retried next time).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/loop/stage_judge.h"
#include "autoswarm/llm/client.h"
#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/error.h"
#include "bench_commands.h"
#include "upstream_flags.h"

namespace autoswarm::cli {
namespace {

struct EvalFlags {
  std::string job_dir = bench::latest_link("jobs").string();
  size_t n_concurrent = 4;
  std::optional<std::string> judge_model;
  bool force = false;
  UpstreamFlags upstream;
};

int run_eval(const EvalFlags& f) {
  if (f.n_concurrent == 0) throw UsageError("-n must be at least 1");
  bench::EvalOptions options;
  options.n_concurrent = f.n_concurrent;
  options.force = f.force;

  std::unique_ptr<llm::Client> client;
  if (bench::judge_calls_needed(f.job_dir, f.force) > 0) {
    upstream::UpstreamOptions upstream_options = f.upstream.options();
    if (f.judge_model) upstream_options.model = f.judge_model;
    std::vector<upstream::ServerStatus> findings;
    std::optional<llm::Endpoint> chosen = upstream::choose_upstream(upstream_options, &findings);
    if (!chosen) {
      print_no_upstream(findings, " for the judge",
                        "Start one of them, or pass --upstream URL --judge-model NAME.");
      return 1;
    }
    client = std::make_unique<llm::Client>(llm::ClientOptions::for_endpoint(*chosen));
    options.client = client.get();
    options.model = chosen->model;
    spdlog::info("judging with {} at {}", chosen->model, chosen->url.str());
  }

  bench::EvalResult result = bench::evaluate_job(
      f.job_dir, options, [](const bench::TrialStageScores& t) { std::cout << t.line() << std::endl; });
  std::cout << result.aggregate_line() << std::endl;
  if (result.failed_calls > 0) {
    std::cerr << "error: " << result.failed_calls
              << " judge call(s) failed (see error in agent/stage_scores.json); run `autoswarm bench "
                 "eval` again to judge them\n";
    return 1;
  }
  return 0;
}

}  // namespace

Runner configure_bench_eval(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  app.add_option("job_dir", f->job_dir, "The job directory written by `bench run`")->capture_default_str();
  app.add_option("-n,--n-concurrent", f->n_concurrent, "Judge calls at the same time")->capture_default_str();
  app.add_option("--judge-model", f->judge_model, "The judge's model (default: --model, else the upstream's first)");
  app.add_flag("--force", f->force, "Judge again even stages that already have a stored score");
  f->upstream.add_to(app);
  return [f](const GlobalOptions&) { return run_eval(*f); };
}

}  // namespace autoswarm::cli
