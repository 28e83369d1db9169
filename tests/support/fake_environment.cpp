#include "support/fake_environment.h"

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::testing {
namespace fs = std::filesystem;

namespace {

std::string command_text(const std::vector<std::string>& argv) {
  if (argv.size() == 3 && argv[0] == "bash" && (argv[1] == "-lc" || argv[1] == "-c")) return argv[2];
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

}  // namespace

void FakeEnvironment::on_command(const std::string& regex, bench::ExecResult result, int times) {
  on_command(regex, Handler([result](const Call&) { return result; }), times);
}

void FakeEnvironment::on_command(const std::string& regex, Handler handler, int times) {
  std::lock_guard lock(mutex_);
  rules_.push_back({std::regex(regex), std::move(handler), times});
}

void FakeEnvironment::set_default_result(bench::ExecResult result) {
  std::lock_guard lock(mutex_);
  default_result_ = std::move(result);
}

void FakeEnvironment::set_file(const std::string& path, const std::string& content) {
  std::lock_guard lock(mutex_);
  files_[path] = content;
}

std::optional<std::string> FakeEnvironment::file(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> FakeEnvironment::files() const {
  std::lock_guard lock(mutex_);
  return files_;
}

void FakeEnvironment::remove_file(const std::string& path) {
  std::lock_guard lock(mutex_);
  files_.erase(path);
}

void FakeEnvironment::set_gone(bool gone) {
  std::lock_guard lock(mutex_);
  gone_ = gone;
}

std::vector<FakeEnvironment::Call> FakeEnvironment::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::pair<std::string, std::string>> FakeEnvironment::copies() const {
  std::lock_guard lock(mutex_);
  return copies_;
}

void FakeEnvironment::check_alive() const {
  if (gone_) throw Error("fake environment is gone");
}

bench::ExecResult FakeEnvironment::exec(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout, const std::string& input,
                                        const std::map<std::string, std::string>& env) {
  Call call{argv, command_text(argv), timeout, input, env, ""};
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    check_alive();
    call.user = user_;
    calls_.push_back(call);
    for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
      if (it->remaining == 0 || !std::regex_search(call.command, it->pattern)) continue;
      if (it->remaining > 0) --it->remaining;
      handler = it->handler;
      break;
    }
    if (!handler) return default_result_;
  }
  return handler(call);  // unlocked: handlers may use the environment
}

void FakeEnvironment::write_file(const std::string& path, const std::string& content) {
  std::lock_guard lock(mutex_);
  check_alive();
  if (path.empty() || path[0] != '/') throw Error("fake environment: not an absolute path: " + path);
  files_[path] = content;
}

std::string FakeEnvironment::read_file(const std::string& path, size_t max_bytes) {
  std::lock_guard lock(mutex_);
  check_alive();
  auto it = files_.find(path);
  if (it == files_.end()) throw Error("No such file: " + path);
  return it->second.substr(0, max_bytes);
}

void FakeEnvironment::copy_in(const fs::path& from, const std::string& to) {
  {
    std::lock_guard lock(mutex_);
    check_alive();
    copies_.emplace_back(from.string(), to);
  }
  if (!fs::is_directory(from)) throw Error("fake environment: cannot copy " + from.string());
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = fs::relative(entry.path(), from).generic_string();
    set_file(to + "/" + rel, util::read_file(entry.path()));
  }
}

std::vector<std::string> FakeEnvironment::copy_out(const std::string& from, const fs::path& to) {
  std::map<std::string, std::string> files;
  {
    std::lock_guard lock(mutex_);
    check_alive();
    files = files_;
  }
  if (!fs::is_directory(to)) throw Error("fake environment: no host directory " + to.string());
  const bool contents = from.ends_with("/.");
  const std::string dir = contents ? from.substr(0, from.size() - 2) : from;
  const std::string parent = fs::path(dir).parent_path().generic_string();
  for (const auto& [path, content] : files) {
    std::string rel;
    if (path == dir) {
      rel = fs::path(path).filename().string();
    } else if (path.starts_with(dir + "/")) {
      rel = contents ? path.substr(dir.size() + 1) : path.substr(parent.size() + 1);
    } else {
      continue;
    }
    util::ensure_directory((to / rel).parent_path(), 0755);
    util::write_file_atomic(to / rel, content, 0644);
  }
  return {};
}

void FakeEnvironment::set_user(std::string user) {
  std::lock_guard lock(mutex_);
  user_ = std::move(user);
}

FakeEnvironment::~FakeEnvironment() {
  if (is_branch_) --*live_branches_;
}

std::unique_ptr<bench::Environment> FakeEnvironment::branch(const std::string& name_hint) {
  auto copy = std::make_unique<FakeEnvironment>();
  std::lock_guard lock(mutex_);
  check_alive();
  copy->rules_ = rules_;
  copy->default_result_ = default_result_;
  copy->files_ = files_;
  copy->user_ = user_;
  copy->describe_ = "fake branch " + name_hint;
  copy->live_branches_ = live_branches_;
  copy->is_branch_ = true;
  ++*live_branches_;
  return copy;
}

void FakeEnvironment::continue_as(std::unique_ptr<bench::Environment> sibling) {
  auto* other = dynamic_cast<FakeEnvironment*>(sibling.get());
  if (!other) throw Error("fake environment: can only continue as a fake branch");
  std::map<std::string, std::string> files = other->files();
  std::lock_guard lock(mutex_);
  check_alive();
  files_ = std::move(files);
}

}  // namespace autoswarm::testing
