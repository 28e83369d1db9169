// task.toml (bench/spec/task.h): any bytes either give a task or a FileError naming the file;
// toml++ never sees text that is not UTF-8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "autoswarm/bench/spec/task.h"
#include "autoswarm/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    autoswarm::bench::Task task = autoswarm::bench::parse_task_toml(text, "task.toml");
    (void)task.metadata.dump();
  } catch (const autoswarm::FileError&) {
  }
  return 0;
}
