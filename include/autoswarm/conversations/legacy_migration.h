// `autoswarm conversations migrate`: folding the records older versions wrote, one <id>.json
// file per chat, into segments (conversation_files.h has the layout).
//
// Each record goes, as one compact line with "id" set to its file's name, to the segment of the
// UTC day it started (its "started_at"; else the day its id names; else the file's modification
// time), in id order. Safe to interrupt at any point and run again: segments are made durable
// (fdatasync) before any file is removed, and a record whose id a segment already holds is not
// appended again (its file is only removed), so no record is lost or doubled. Meanwhile readers
// see each record once: for_each_record passes over a second copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "autoswarm/conversations/conversation_files.h"
#include "autoswarm/util/data_dir.h"

namespace autoswarm::conversations {

struct MigrationOptions {
  uint64_t segment_bytes = kDefaultSegmentBytes;
  size_t batch_bytes = 8u << 20;  // lines appended (and synced) at a time, at most
};

struct MigrationResult {
  size_t migrated = 0;       // records appended to segments, their files removed
  size_t already_there = 0;  // files whose record a segment held already (an interrupted run): removed
  size_t temp_files = 0;     // older versions' stale temp files removed
  // The <id>.json files left where they are because they could not be read as records (each
  // was warned about, naming the file and why), as paths.
  std::vector<std::string> left;
};

// Migrates data.conversations(), holding data's reflect lock so that no `autoswarm reflect`
// reads the files while they move. A missing directory has nothing to migrate. Throws FileError
// when the lock is held (a reflect run or another migration) or a segment cannot be written;
// no file whose record is not durable in a segment is removed.
MigrationResult migrate_legacy_records(const util::DataDir& data, const MigrationOptions& options = {});

}  // namespace autoswarm::conversations
