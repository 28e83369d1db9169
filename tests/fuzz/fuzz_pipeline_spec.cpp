// pipeline_spec.yaml (bench/spec/pipeline_spec.h): parse_pipeline_spec never throws for bad
// content (problems go to parse_problems), and validate() runs on whatever it returns.
#include <cstddef>
#include <cstdint>
#include <string>

#include "autoswarm/bench/spec/pipeline_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  autoswarm::bench::PipelineSpec spec = autoswarm::bench::parse_pipeline_spec(text);
  (void)autoswarm::bench::validate(spec);
  return 0;
}
