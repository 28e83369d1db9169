// The image a trial runs in: the task's prebuilt [environment].docker_image (pulled when
// missing), else environment/ built with `docker build` under a tag derived from its content,
// so an unchanged environment is built once and then reused.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "autoswarm/bench/trials/docker_cli.h"
#include "autoswarm/bench/spec/task.h"

namespace autoswarm::bench {

// SHA-256 (hex) over a directory's relative paths, entry types, executable bits, file contents
// and symlink targets, in path order: equal for equal trees wherever they are. A FIFO, socket
// or device counts by its name only, with a warning: it is never opened.
std::string directory_content_hash(const std::filesystem::path& dir);

// "autoswarm-task-<dir>:<16 hex digits>": the task directory's name lower-cased to [a-z0-9._-],
// the digits from `content_hash`.
std::string task_image_tag(const Task& task, const std::string& content_hash);

struct ImageOptions {
  bool network = true;                        // false: `docker build --network none`
  const std::atomic<bool>* cancel = nullptr;  // turning true stops a build or pull
};

// Returns the image reference to run the task in, building or pulling it when missing. The tag
// also covers the local images the Dockerfile builds FROM, so rebuilding autoswarm-base
// rebuilds the tasks on top of it. Throws DockerError naming the task, the Dockerfile and
// docker's last lines of output; honours [environment].build_timeout_sec.
std::string ensure_task_image(const DockerCli& docker, const Task& task,
                              const ImageOptions& options = {});

}  // namespace autoswarm::bench
