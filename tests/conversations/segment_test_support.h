// For the conversation log tests: the lines of a segment as they are on disk, and the ids the
// reader (for_each_record) yields.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/util/files.h"

namespace autoswarm::testing {

// The whole lines of `file`, without their '\n' (a torn last line is left out).
inline std::vector<std::string> segment_lines(const std::filesystem::path& file) {
  const std::string text = util::read_file(file);
  std::vector<std::string> lines;
  size_t pos = 0;
  for (size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) lines.push_back(text.substr(pos, nl - pos));
  return lines;
}

// The one segment in `dir`.
inline std::filesystem::path only_segment(const std::filesystem::path& dir) {
  const auto segments = conversations::list_segments(dir);
  REQUIRE(segments.size() == 1);
  return dir / segments[0].file_name();
}

// The ids of the records in `dir`, in the order the reader yields them.
inline std::vector<std::string> record_ids(const std::filesystem::path& dir, const conversations::ReadOptions& options = {}) {
  std::vector<std::string> ids;
  conversations::for_each_record(dir, [&](conversations::LoggedRecord& r) { ids.push_back(r.id); }, options);
  return ids;
}

}  // namespace autoswarm::testing
