// The subcommands of `autoswarm bench`, one file each (bench_validate.cpp, bench_run.cpp, …),
// listed in the table in bench.cpp. Same shape as the top-level table in main.cpp.
#pragma once

#include "command.h"

namespace autoswarm::cli {

// The bench subcommands
Runner configure_bench_validate(CLI::App& app);
Runner configure_bench_run(CLI::App& app);
Runner configure_bench_resume(CLI::App& app);
Runner configure_bench_eval(CLI::App& app);
Runner configure_bench_record(CLI::App& app);
Runner configure_bench_compare(CLI::App& app);
Runner configure_bench_plot(CLI::App& app);
Runner configure_bench_init(CLI::App& app);

}  // namespace autoswarm::cli
