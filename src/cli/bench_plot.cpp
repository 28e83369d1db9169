// `autoswarm bench plot [--results FILE] [--out FILE.svg]`: draws results.tsv as an SVG chart.
#include <iostream>
#include <memory>
#include <optional>

#include "autoswarm/bench/loop/results_chart.h"
#include "autoswarm/util/files.h"
#include "bench_commands.h"

namespace autoswarm::cli {

Runner configure_bench_plot(CLI::App& app) {
  auto results = std::make_shared<std::string>("results.tsv");
  auto out = std::make_shared<std::string>("progress.svg");
  app.add_option("--results", *results, "The experiment log to draw")->capture_default_str();
  app.add_option("--out,-o", *out, "Where to write the SVG chart")->capture_default_str();

  return [results, out](const GlobalOptions&) {
    std::vector<bench::ExperimentPoint> points = bench::load_experiments(*results);
    util::write_file_atomic(*out, bench::render_experiments_svg(points), 0644);
    std::optional<double> best;
    for (const auto& b : bench::running_best(points)) {
      if (b) best = b;
    }
    std::cout << "wrote " << *out << ": " << points.size()
              << (points.size() == 1 ? " experiment" : " experiments");
    if (best) std::cout << ", best kept passed=" << *best;
    std::cout << "\n";
    return 0;
  };
}

}  // namespace autoswarm::cli
