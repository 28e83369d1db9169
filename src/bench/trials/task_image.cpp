#include "autoswarm/bench/trials/task_image.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "autoswarm/util/files.h"
#include "autoswarm/util/sha256.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using util::Sha256;

// The images a Dockerfile builds FROM (skipping earlier stages and ARG-dependent names).
std::vector<std::string> from_images(const std::string& dockerfile) {
  std::vector<std::string> images, stages;
  std::istringstream in(dockerfile);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string keyword, image, as, stage;
    words >> keyword;
    std::transform(keyword.begin(), keyword.end(), keyword.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (keyword != "FROM") continue;
    while (words >> image && image.starts_with("--")) {
    }
    bool earlier_stage = std::find(stages.begin(), stages.end(), image) != stages.end();
    if (words >> as >> stage) stages.push_back(stage);
    if (image.empty() || earlier_stage || image.find('$') != std::string::npos) continue;
    images.push_back(image);
  }
  return images;
}

// One lock per tag: concurrent trials of one task build its image once.
std::mutex& build_lock(const std::string& tag) {
  static std::mutex guard;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> lock(guard);
  auto& m = locks[tag];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

// The end of a failed build's output (the failing step and its error), without the client's
// notice about the legacy builder.
std::string build_output_tail(const util::ProcessResult& r) {
  std::vector<std::string> lines;
  std::istringstream in(r.out + "\n" + r.err);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.find("legacy builder is deprecated") != std::string::npos ||
        line.find("buildx component") != std::string::npos ||
        line.find("docs.docker.com/go/buildx") != std::string::npos) {
      continue;
    }
    lines.push_back(line);
  }
  constexpr size_t kTail = 15;
  std::string tail;
  for (size_t i = lines.size() > kTail ? lines.size() - kTail : 0; i < lines.size(); ++i) {
    tail += (tail.empty() ? "" : "\n  ") + lines[i];
  }
  return tail.empty() ? "exit code " + std::to_string(r.exit_code) : tail;
}

// The ID of a local image ("" when it is not local: docker build pulls it), asked once per
// process: base images do not change during a run, and every trial would ask again.
std::string local_image_id(const DockerCli& docker, const std::string& image) {
  static std::mutex guard;
  static std::map<std::string, std::string> ids;
  {
    std::lock_guard<std::mutex> lock(guard);
    auto it = ids.find(image);
    if (it != ids.end()) return it->second;
  }
  util::ProcessResult r =
      docker.run({"image", "inspect", "--format", "{{.Id}}", image}, milliseconds(30000));
  std::string id = r.exit_code == 0 && !r.timed_out ? r.out : "";
  std::lock_guard<std::mutex> lock(guard);
  if (!id.empty()) ids[image] = id;  // a missing image may appear (pulled by a build): ask again
  return id;
}

milliseconds seconds_to_ms(double secs) {
  return milliseconds(static_cast<long long>(std::max(secs, 1.0) * 1000));
}

}  // namespace

std::string directory_content_hash(const fs::path& dir) {
  std::vector<fs::path> entries;
  for (const auto& e : fs::recursive_directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  Sha256 sha;
  for (const auto& path : entries) {
    sha.field(fs::relative(path, dir).generic_string());
    fs::file_status st = fs::symlink_status(path);
    if (fs::is_symlink(st)) {
      sha.field("link");
      sha.field(fs::read_symlink(path).string());
    } else if (fs::is_directory(st)) {
      sha.field("dir");
    } else if (!fs::is_regular_file(st)) {
      // Reading a FIFO would wait for a writer forever; docker build copies none of its data.
      spdlog::warn("{}: skipping {}, which is {}: a task's files must be regular files",
                   dir.string(), fs::relative(path, dir).generic_string(),
                   util::describe_file_type(path));
      sha.field("special");
    } else {
      bool exec = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
      sha.field(exec ? "exec" : "file");
      sha.field(util::read_regular_file(path));
    }
  }
  return sha.hex();
}

std::string task_image_tag(const Task& task, const std::string& content_hash) {
  std::string name;
  // The directory's name: unique within a task set and readable in `docker images`.
  std::string source = task.dir.filename().string();
  if (source.empty()) source = task.name;
  for (unsigned char c : source) {
    char l = static_cast<char>(std::tolower(c));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '_' || l == '-';
    name += ok ? l : '-';
  }
  // Repository names must start and end with an alphanumeric character.
  while (!name.empty() && !std::isalnum(static_cast<unsigned char>(name.front()))) name.erase(0, 1);
  while (!name.empty() && !std::isalnum(static_cast<unsigned char>(name.back()))) name.pop_back();
  if (name.size() > 64) name.resize(64);
  if (name.empty()) name = "task";
  return "autoswarm-task-" + name + ":" + content_hash.substr(0, 16);
}

std::string ensure_task_image(const DockerCli& docker, const Task& task,
                              const ImageOptions& options) {
  milliseconds timeout = seconds_to_ms(task.environment.build_timeout_sec);
  const std::string& prebuilt = task.environment.docker_image;
  if (!prebuilt.empty()) {
    std::lock_guard<std::mutex> lock(build_lock(prebuilt));
    if (!docker.image_exists(prebuilt)) {
      spdlog::info("{}: pulling {}", task.name, prebuilt);
      docker.check(
          {"pull", prebuilt}, timeout,
          "task " + task.name + ": pulling [environment].docker_image " + prebuilt + " (task.toml)",
          options.cancel);
    }
    return prebuilt;
  }

  fs::path env_dir = task.environment_dir();
  fs::path dockerfile = env_dir / "Dockerfile";
  if (!fs::is_regular_file(dockerfile)) {
    throw FileError(dockerfile.string() + ": missing, and " + task.task_toml().string() +
                    " sets no [environment].docker_image; add a Dockerfile (e.g. `FROM "
                    "autoswarm-base`) or name a prebuilt image");
  }
  Sha256 key;
  key.field(directory_content_hash(env_dir));
  for (const auto& base : from_images(util::read_file(dockerfile))) {
    key.field(base);
    key.field(local_image_id(docker, base));
  }
  std::string tag = task_image_tag(task, key.hex());

  std::lock_guard<std::mutex> lock(build_lock(tag));
  if (docker.image_exists(tag)) return tag;
  spdlog::info("{}: building {} from {}", task.name, tag, dockerfile.string());
  std::vector<std::string> args{"build", "--force-rm", "-t",
                                tag,     "--label",    "autoswarm.task=" + task.name};
  if (!options.network) args.insert(args.end(), {"--network", "none"});
  args.insert(args.end(), {"-f", dockerfile.string(), env_dir.string()});
  util::ProcessResult r = docker.run(args, timeout, "", options.cancel);
  if (r.exit_code == 0 && !r.timed_out && !r.cancelled) return tag;
  std::string what = "task " + task.name + ": docker build of " + dockerfile.string();
  if (r.cancelled) throw DockerError(what + ": interrupted");
  if (r.timed_out) {
    throw DockerError(what + ": did not finish within " + std::to_string(timeout.count() / 1000) +
                      " s ([environment].build_timeout_sec in " + task.task_toml().string() + ")");
  }
  throw DockerError(what + " failed:\n  " + build_output_tail(r));
}

}  // namespace autoswarm::bench
