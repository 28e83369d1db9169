#include "autoswarm/conversations/conversation_files.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <unordered_set>

#include "autoswarm/llm/chat.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"

namespace autoswarm::conversations {
namespace fs = std::filesystem;
using nlohmann::json;

Conversation Conversation::from_json(const json& record, const std::string& origin) {
  if (!record.is_object()) throw FileError(origin + ": not a conversation record (expected a JSON object)");
  Conversation c;
  c.id = util::string_field(record, "id");
  c.started_at = util::string_field(record, "started_at");
  c.model = util::string_field(record, "model");
  if (auto it = record.find("status"); it != record.end() && it->is_number_integer()) c.status = it->get<int>();
  else c.status = 200;  // older or hand-made records without a status: a completed call
  c.error = util::string_field(record, "error");
  if (auto it = record.find("messages"); it != record.end()) {
    if (std::string problem = llm::messages_problem(*it); !problem.empty()) {
      throw FileError(origin + ": " + problem);
    }
    c.messages = *it;
  }
  if (auto it = record.find("reply"); it != record.end() && it->is_object()) {
    c.reply_content = util::string_field(*it, "content");
    c.finish_reason = util::string_field(*it, "finish_reason");
    if (auto tc = it->find("tool_calls"); tc != it->end() && tc->is_array()) c.reply_tool_calls = *tc;
  }
  if (auto it = record.find("injected_skills"); it != record.end() && it->is_array()) {
    for (const auto& id : *it) {
      if (id.is_string()) c.injected_skills.push_back(id.get<std::string>());
    }
  }
  if (auto it = record.find("kind"); it != record.end() && it->is_string()) {
    c.kind = parse_kind(it->get_ref<const std::string&>()).value_or(ExchangeKind::kChat);
  }
  if (auto it = record.find("client_disconnected"); it != record.end() && it->is_boolean()) {
    c.client_disconnected = it->get<bool>();
  }
  return c;
}

Conversation parse_conversation(std::string_view text, const std::string& origin) {
  json record = util::try_parse_json(text);
  if (record.is_discarded()) throw FileError(origin + ": not valid JSON");
  return Conversation::from_json(record, origin);
}

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

bool is_day(std::string_view s) {
  return s.size() == 10 && all_digits(s.substr(0, 4)) && s[4] == '-' && all_digits(s.substr(5, 2)) && s[7] == '-' &&
         all_digits(s.substr(8, 2));
}

// The entries of `dir` that are regular files (not followed through a link), by name.
template <typename Keep>
void for_each_regular_file(const fs::path& dir, Keep keep) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->symlink_status(type_ec).type() != fs::file_type::regular) continue;
    keep(it->path().filename().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw FileError("cannot list " + dir.string() + ": " + ec.message());
  }
}

std::string errno_text() { return std::strerror(errno); }

// An open file to read records from: regular files only, never a link, a FIFO or a device.
class ReadFd {
 public:
  explicit ReadFd(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw FileError("cannot read " + path.string() + ": " + errno_text());
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw FileError("cannot read " + path.string() + ": not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~ReadFd() { ::close(fd_); }
  ReadFd(const ReadFd&) = delete;
  ReadFd& operator=(const ReadFd&) = delete;
  int get() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Reads `length` bytes at `offset`. Throws FileError naming `origin`.
std::string read_at(const ReadFd& fd, uint64_t offset, uint64_t length, const std::string& origin) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw FileError("cannot read " + origin + ": " + errno_text());
    if (n == 0) throw FileError("cannot read " + origin + ": the file is shorter than when it was listed");
    done += static_cast<size_t>(n);
  }
  return out;
}

// Calls on_line(text, where) for each whole line of the segment open as `fd`, read in chunks of
// options.read_chunk_bytes: a line longer than max_record_bytes is warned about and skipped
// without being kept, the torn last line (no '\n') is dropped. A read that fails ends the scan
// with a warning; what on_line throws goes to the caller.
template <typename OnLine>
void scan_segment(const ReadFd& fd, const fs::path& path, const ReadOptions& options, OnLine on_line) {
  std::string chunk(std::max<size_t>(options.read_chunk_bytes, 1), '\0');
  std::string pending;      // the start of a line that began in an earlier chunk
  bool overlong = false;    // the line being read is past the limit: its bytes are dropped
  uint64_t line_start = 0, pos = 0;
  size_t line_no = 1;
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      spdlog::warn("cannot read {}: {}; the rest of it is skipped", path.string(), errno_text());
      return;
    }
    if (n == 0) return;  // what is pending is a torn tail (or a line still being written)
    std::string_view data(chunk.data(), static_cast<size_t>(n));
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view piece = data.substr(0, nl);
      if (!overlong && pending.size() + piece.size() > options.max_record_bytes) {
        overlong = true;
        std::string().swap(pending);
      }
      if (nl == std::string_view::npos) {
        if (!overlong) pending.append(piece);
        pos += piece.size();
        break;
      }
      const RecordLocation where{path, line_no, line_start, pos + piece.size() - line_start};
      if (overlong) {
        spdlog::warn("{}: a line of {} bytes, longer than the {} a record may have; skipped", where.origin(),
                     where.length, options.max_record_bytes);
      } else if (pending.empty()) {
        on_line(piece, where);
      } else {
        pending.append(piece);
        on_line(std::string_view(pending), where);
        pending.clear();
      }
      overlong = false;
      pos += piece.size() + 1;
      line_start = pos;
      ++line_no;
      data.remove_prefix(nl + 1);
    }
  }
}

class RecordReader {
 public:
  RecordReader(const std::function<void(LoggedRecord&)>& visit, const ReadOptions& options)
      : visit_(visit), options_(options) {}

  void legacy_file(const fs::path& path, std::string id) {
    std::string text;
    RecordLocation where{path, 0, 0, 0};
    try {
      ReadFd fd(path);
      where.length = fd.size();
      if (fd.size() > options_.max_record_bytes) {
        spdlog::warn("{}: {} bytes, longer than the {} a record may have; skipped", path.string(), fd.size(),
                     options_.max_record_bytes);
        return;
      }
      text = read_at(fd, 0, fd.size(), path.string());
    } catch (const FileError& e) {
      spdlog::warn("{}; skipped", e.what());
      return;
    }
    std::string why;
    json record = util::try_parse_json(text, &why);
    if (record.is_discarded() || !record.is_object()) {
      spdlog::warn("{}: not a conversation record ({}); skipped", path.string(),
                   record.is_discarded() ? "not valid JSON: " + why : "not a JSON object");
      return;
    }
    deliver(std::move(id), std::move(where), std::move(record));
  }

  void segment(const fs::path& path) {
    std::optional<ReadFd> fd;
    try {
      fd.emplace(path);
    } catch (const FileError& e) {
      spdlog::warn("{}; skipped", e.what());
      return;
    }
    scan_segment(*fd, path, options_, [&](std::string_view line, const RecordLocation& where) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
      std::string why;
      json record = util::try_parse_json(line, &why);
      if (record.is_discarded()) {
        spdlog::warn("{}: not valid JSON ({}); skipped", where.origin(), why);
        return;
      }
      std::string id = record.is_object() ? util::string_field(record, "id") : "";
      if (id.empty()) {
        spdlog::warn("{}: not a conversation record (a JSON object with an \"id\" string); skipped", where.origin());
        return;
      }
      deliver(std::move(id), where, std::move(record));
    });
  }

 private:
  void deliver(std::string id, RecordLocation where, json record) {
    if (!seen_.insert(id).second) {
      spdlog::debug("{}: {} was read before; this copy is passed over", where.origin(), id);
      return;
    }
    LoggedRecord r{std::move(id), std::move(where), std::move(record)};
    visit_(r);
  }

  const std::function<void(LoggedRecord&)>& visit_;
  const ReadOptions& options_;
  std::unordered_set<std::string> seen_;
};

}  // namespace

std::string SegmentName::file_name() const {
  return part == 0 ? day + ".jsonl" : day + "." + std::to_string(part) + ".jsonl";
}

std::optional<SegmentName> SegmentName::parse(std::string_view name) {
  if (name.size() < 16 || !name.ends_with(".jsonl") || !is_day(name.substr(0, 10))) return std::nullopt;
  std::string_view middle = name.substr(10, name.size() - 10 - 6);  // "" or ".N"
  SegmentName s{std::string(name.substr(0, 10)), 0};
  if (middle.empty()) return s;
  middle.remove_prefix(1);
  if (name[10] != '.' || !all_digits(middle) || middle.size() > 6 || middle.front() == '0') return std::nullopt;
  s.part = static_cast<unsigned>(std::stoul(std::string(middle)));
  return s;
}

std::vector<SegmentName> list_segments(const fs::path& dir) {
  std::vector<SegmentName> out;
  for_each_regular_file(dir, [&](const std::string& name) {
    if (auto s = SegmentName::parse(name)) out.push_back(std::move(*s));
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> list_legacy_record_ids(const fs::path& dir) {
  std::vector<std::string> ids;
  for_each_regular_file(dir, [&](const std::string& name) {
    if (name.size() > 5 && name.front() != '.' && name.ends_with(".json")) ids.push_back(name.substr(0, name.size() - 5));
  });
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string RecordLocation::origin() const {
  return line == 0 ? file.string() : file.string() + ":" + std::to_string(line);
}

void for_each_record(const fs::path& dir, const std::function<void(LoggedRecord&)>& visit, const ReadOptions& options) {
  RecordReader reader(visit, options);
  if (options.legacy_files) {
    for (std::string& id : list_legacy_record_ids(dir)) {
      const fs::path path = dir / (id + ".json");
      reader.legacy_file(path, std::move(id));
    }
  }
  if (options.segments) {
    for (const SegmentName& s : list_segments(dir)) reader.segment(dir / s.file_name());
  }
}

std::vector<RecordRef> list_records(const fs::path& dir, const ReadOptions& options) {
  std::vector<RecordRef> out;
  for_each_record(dir, [&](LoggedRecord& r) { out.push_back({std::move(r.id), std::move(r.where)}); }, options);
  return out;
}

Conversation load_conversation(const RecordRef& ref) {
  const std::string origin = ref.where.origin();
  std::string text;
  {
    ReadFd fd(ref.where.file);
    if (ref.where.line == 0 && fd.size() > kMaxRecordBytes) {
      throw FileError(origin + ": " + std::to_string(fd.size()) + " bytes, longer than a record may be");
    }
    text = ref.where.line == 0 ? read_at(fd, 0, fd.size(), origin) : read_at(fd, ref.where.offset, ref.where.length, origin);
  }
  Conversation c = parse_conversation(text, origin);
  if (ref.where.line != 0 && c.id != ref.id) {
    throw FileError(origin + ": holds another record than when it was listed (" + ref.id + ")");
  }
  c.id = ref.id;  // a file's name is the id reflect tracks
  return c;
}

}  // namespace autoswarm::conversations
