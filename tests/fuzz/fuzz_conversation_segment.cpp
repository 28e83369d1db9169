// A segment of the conversation log (conversations/conversation_files.h) as for_each_record
// reads it: any bytes yield only records that are JSON objects with an id, at locations that are
// whole lines of the file, and loading a location again gives that record or a FileError. The
// first byte picks a small record limit and read chunk, so lines cross chunks and pass limits.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/util/error.h"

namespace conv = autoswarm::conversations;

namespace {

std::filesystem::path g_dir;

void remove_dir() {
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // every malformed line is a warning
  char tmpl[] = "/tmp/fuzz-conversation-segment-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) std::abort();
  g_dir = tmpl;
  std::atexit(remove_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const conv::ReadOptions options{.max_record_bytes = 16u + data[0] % 64u * 16u, .read_chunk_bytes = 1u + data[0] / 64u * 5u};
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::filesystem::path file = g_dir / "2026-01-01.jsonl";
  { std::ofstream(file, std::ios::binary | std::ios::trunc) << text; }

  conv::for_each_record(
      g_dir,
      [&](conv::LoggedRecord& r) {
        const conv::RecordLocation& w = r.where;
        if (r.id.empty() || !r.record.is_object() || w.file != file || w.line == 0) std::abort();
        if (w.length > options.max_record_bytes || w.offset + w.length >= text.size()) std::abort();
        if (text[w.offset + w.length] != '\n' || (w.offset > 0 && text[w.offset - 1] != '\n')) std::abort();
        if (text.find('\n', w.offset) != w.offset + w.length || r.record["id"] != r.id) std::abort();
        try {
          (void)conv::load_conversation({r.id, w}).failed();
        } catch (const autoswarm::FileError&) {
        }
      },
      options);
  return 0;
}
