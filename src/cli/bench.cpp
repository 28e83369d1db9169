// `autoswarm bench`: the parent of the benchmark subcommands. Each one lives in its own file
// and is one row of kBenchSubcommands; adding one is a row here and a line in bench_commands.h.
#include "bench_commands.h"

namespace autoswarm::cli {
namespace {

// Every bench subcommand, in the order `autoswarm bench --help` lists them.
const Subcommand kBenchSubcommands[] = {
    {"validate", "Check pipeline_spec.yaml and list every problem with its line",
     configure_bench_validate},
    {"run", "Run the pipeline (or oracle) over Harbor tasks in Docker and score every trial",
     configure_bench_run},
    {"resume", "Finish an interrupted job: keep its finished trials, run the rest, rewrite its result",
     configure_bench_resume},
    {"eval", "Score every stage of every trial of a job with an LLM judge", configure_bench_eval},
    {"record", "Append the job's row (commit, scores, topology, status) to results.tsv",
     configure_bench_record},
    {"compare", "Compare two jobs: rewards per task, regressions, change in passed, tokens, cost",
     configure_bench_compare},
    {"plot", "Draw results.tsv as an SVG chart of passed per experiment", configure_bench_plot},
    {"init", "Scaffold a benchmark directory: spec, program_pipeline.md, a hello-world task",
     configure_bench_init},
};

}  // namespace

Runner configure_bench(CLI::App& app) { return configure_group(app, kBenchSubcommands); }

}  // namespace autoswarm::cli
