// `autoswarm bench init [DIR] [--force]`: scaffolds a benchmark directory (the same files as the
// repository's benchmark/: spec, program_pipeline.md, Dockerfile.base, a hello-world task).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include "autoswarm/bench/loop/bench_scaffold.h"
#include "bench_commands.h"

namespace autoswarm::cli {

Runner configure_bench_init(CLI::App& app) {
  auto dir = std::make_shared<std::string>(".");
  auto force = std::make_shared<bool>(false);
  app.add_option("DIR", *dir, "The benchmark directory to create or fill")->capture_default_str();
  app.add_flag("--force", *force, "Overwrite files that already exist");

  return [dir, force](const GlobalOptions&) {
    bench::ScaffoldResult result = bench::write_scaffold(*dir, *force);
    for (const auto& path : result.written) {
      bool replaced = std::find(result.overwritten.begin(), result.overwritten.end(), path) !=
                      result.overwritten.end();
      std::cout << (replaced ? "replaced " : "created  ") << (std::filesystem::path(*dir) / path).string()
                << "\n";
    }
    std::cout << "next: cd " << *dir
              << " && autoswarm bench validate && autoswarm bench run --agent oracle\n";
    return 0;
  };
}

}  // namespace autoswarm::cli
