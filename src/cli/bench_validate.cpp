// `autoswarm bench validate [--spec FILE]`: checks a pipeline spec and prints every problem
// with its line (exit 1), or a one-line summary of the valid pipeline (exit 0).
#include <iostream>
#include <memory>

#include "autoswarm/bench/spec/pipeline_spec.h"
#include "bench_commands.h"

namespace autoswarm::cli {

Runner configure_bench_validate(CLI::App& app) {
  auto spec_file = std::make_shared<std::string>("pipeline_spec.yaml");
  app.add_option("--spec", *spec_file, "The pipeline spec to check")->capture_default_str();

  return [spec_file](const GlobalOptions&) {
    bench::PipelineSpec spec = bench::load_pipeline_spec(*spec_file);
    std::vector<bench::SpecProblem> problems = bench::validate(spec);
    if (!problems.empty()) {
      for (const auto& p : problems) std::cout << p.to_string() << "\n";
      std::cout << problems.size() << (problems.size() == 1 ? " problem" : " problems") << " in "
                << *spec_file << "\n";
      return 1;
    }
    std::cout << *spec_file << ": valid: " << spec.topology() << " (" << spec.stages.size()
              << (spec.stages.size() == 1 ? " stage" : " stages") << ", max_total_turns "
              << spec.turn_cap() << ")\n";
    return 0;
  };
}

}  // namespace autoswarm::cli
