// Appending whole lines to the segments of a conversations directory (conversation_files.h
// names them): what ConversationLog's writer thread and `conversations migrate` write through.
//
// Each append is one write(2) on an O_APPEND descriptor followed by one fdatasync, so a process
// killed at any point leaves whole lines plus at most one torn last line, and lines from several
// writers (a proxy and a migration) never interleave within a line. A torn last line is cut off
// (ftruncate to the last '\n') when a segment is opened, but only by a writer that finds no
// other one holding the segment: each writer keeps a shared flock on the segment it has open,
// and cuts only under an exclusive one, so it never cuts a line another writer is writing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace autoswarm::conversations {

class SegmentAppender {
 public:
  // Appends to segments in `dir` (which must exist), beginning a new one of the day when a
  // batch would take the current one past `segment_bytes`.
  SegmentAppender(std::filesystem::path dir, uint64_t segment_bytes);
  ~SegmentAppender();
  SegmentAppender(const SegmentAppender&) = delete;
  SegmentAppender& operator=(const SegmentAppender&) = delete;

  // Appends `lines` (whole lines, each ending in '\n') to the newest segment of `day`
  // ("2026-11-29"), created mode 0600 if need be, and makes them durable. Throws FileError
  // naming the segment; the next append then opens it again (cutting what a failed write tore).
  void append(const std::string& day, std::string_view lines);

  // The segment appended to last ("" before the first append).
  std::filesystem::path current() const;

 private:
  void open(const std::string& day, unsigned part);
  void close();

  std::filesystem::path dir_;
  uint64_t segment_bytes_;
  std::string day_;
  unsigned part_ = 0;
  int fd_ = -1;
};

}  // namespace autoswarm::conversations
