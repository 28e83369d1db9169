#include "autoswarm/conversations/legacy_migration.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <system_error>
#include <unordered_map>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/utc_time.h"
#include "segment_appender.h"

namespace autoswarm::conversations {
namespace fs = std::filesystem;

namespace {

// How old a temp file of an older version's writer must be to belong to no writer still running.
constexpr auto kStaleTemp = std::chrono::minutes(1);

std::string day_of(std::chrono::system_clock::time_point t) { return util::utc_timestamp(t).substr(0, 10); }

// The UTC day a legacy record started: "started_at", else the day its id names
// ("20261129T…"), else the day its file was last written.
std::string start_day(const LoggedRecord& r) {
  if (auto t = util::parse_utc_timestamp(util::string_field(r.record, "started_at"))) return day_of(*t);
  const std::string& id = r.id;
  if (id.size() >= 9 && id[8] == 'T' &&
      std::all_of(id.begin(), id.begin() + 8, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2);
  }
  std::error_code ec;
  const auto written = fs::last_write_time(r.where.file, ec);
  return day_of(ec ? std::chrono::system_clock::now() : std::chrono::file_clock::to_sys(written));
}

void sync_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fdatasync(fd) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw FileError("cannot sync " + path.string() + ": " + reason);
  }
  ::close(fd);
}

// Removes hidden "*.tmp*" files older versions' writers left when killed mid-write.
size_t remove_stale_temp_files(const fs::path& dir) {
  size_t removed = 0;
  std::error_code ec;
  const auto stale = fs::file_time_type::clock::now() - kStaleTemp;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code ignored;
    if (name.size() > 5 && name.front() == '.' && name.find(".json.tmp") != std::string::npos &&
        it->symlink_status(ignored).type() == fs::file_type::regular && it->last_write_time(ignored) < stale &&
        fs::remove(it->path(), ignored)) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace

MigrationResult migrate_legacy_records(const util::DataDir& data, const MigrationOptions& options) {
  MigrationResult result;
  const fs::path dir = data.conversations();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return result;
  util::FileLock lock(data.reflect_lock_file(), util::FileLock::Wait::kTry);
  if (!lock.held()) {
    throw FileError(data.reflect_lock_file().string() + " is held by a running `autoswarm reflect` (or another "
                    "migration); run `autoswarm conversations migrate` again once it has finished");
  }

  // What the segments hold already (from an interrupted run), and in which segment.
  std::unordered_map<std::string, fs::path> in_segments;
  for_each_record(dir, [&](LoggedRecord& r) { in_segments.emplace(std::move(r.id), r.where.file); },
                  {.legacy_files = false});

  SegmentAppender out(dir, options.segment_bytes);
  std::string batch, batch_day;
  std::vector<fs::path> batch_files, removable;
  std::set<fs::path> holding;  // segments that hold records already there, synced before removal
  auto append_batch = [&] {
    if (batch.empty()) return;
    out.append(batch_day, batch);  // throws before anything is removed
    result.migrated += batch_files.size();
    removable.insert(removable.end(), batch_files.begin(), batch_files.end());
    batch.clear();
    batch_files.clear();
  };
  for_each_record(
      dir,
      [&](LoggedRecord& r) {
        if (auto it = in_segments.find(r.id); it != in_segments.end()) {
          holding.insert(it->second);
          removable.push_back(r.where.file);
          ++result.already_there;
          return;
        }
        r.record["id"] = r.id;  // the file's name is the id reflect's ledger knows it by
        const std::string line = r.record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        const std::string day = start_day(r);
        if (day != batch_day || batch.size() + line.size() + 1 > options.batch_bytes) append_batch();
        batch_day = day;
        batch.append(line).push_back('\n');
        batch_files.push_back(r.where.file);
      },
      {.segments = false});
  append_batch();

  for (const fs::path& segment : holding) sync_file(segment);
  for (const fs::path& file : removable) {
    if (!fs::remove(file, ec) && ec) throw FileError("cannot remove " + file.string() + ": " + ec.message());
  }
  result.temp_files = remove_stale_temp_files(dir);
  util::sync_directory(dir);
  for (const std::string& id : list_legacy_record_ids(dir)) result.left.push_back((dir / (id + ".json")).string());
  return result;
}

}  // namespace autoswarm::conversations
