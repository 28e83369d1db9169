#include "autoswarm/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "autoswarm/util/error.h"

extern char** environ;

namespace autoswarm::util {
namespace {

// How often a running child is checked against ProcessOptions::cancel.
constexpr int kCancelPollMs = 50;

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() { close_both(); }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void close_both() { close_end(0); close_end(1); }
};

// One output stream as ProcessOptions::max_output keeps it: all of it while it fits, then its
// first half and a window of its last half.
class KeptOutput {
 public:
  explicit KeptOutput(size_t max) : half_(max / 2) {}

  void append(const char* data, size_t n) {
    total_ += n;
    if (half_ == 0) {
      head_.append(data, n);
      return;
    }
    size_t to_head = std::min(n, half_ > head_.size() ? half_ - head_.size() : 0);
    head_.append(data, to_head);
    tail_.append(data + to_head, n - to_head);
    // Trimmed in steps, so each byte is moved a bounded number of times.
    if (tail_.size() > 2 * half_) tail_.erase(0, tail_.size() - half_);
  }

  size_t total() const { return total_; }

  std::string take() {
    if (half_ == 0) return std::move(head_);
    // Whether anything was dropped is a question about the count, not about tail_'s size: a read
    // that trims tail_ leaves it exactly half_ long, and the cut must still be marked.
    if (total_ - head_.size() > half_) {
      std::string marker =
          "\n[... " + std::to_string(total_ - head_.size() - half_) + " bytes omitted ...]\n";
      return head_ + marker + tail_.substr(tail_.size() - half_);
    }
    return head_ + tail_;
  }

 private:
  size_t half_;
  size_t total_ = 0;
  std::string head_, tail_;
};

std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    bool dropped = options.env.count(key) > 0;
    for (const auto& u : options.unset_env) dropped = dropped || u == key;
    if (!dropped) env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : options.env) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) throw Error("run_process: empty argument vector");
  Pipe in, out, err, exec_status;

  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(options);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string cwd = options.working_directory.string();

  pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);  // own process group, so a timeout kills the whole tree
    ::dup2(in.fd[0], 0);
    ::dup2(out.fd[1], 1);
    ::dup2(err.fd[1], 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      int e = errno;
      (void)!::write(exec_status.fd[1], &e, sizeof e);
      ::_exit(127);
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execvpe(args[0], args.data(), envp.data());
    int e = errno;
    (void)!::write(exec_status.fd[1], &e, sizeof e);
    ::_exit(127);
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  exec_status.close_end(1);

  int exec_errno = 0;
  if (::read(exec_status.fd[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    ::waitpid(pid, nullptr, 0);
    throw ProcessStartError("cannot run " + argv[0] + ": " + std::strerror(exec_errno), exec_errno);
  }

  ProcessResult result;
  KeptOutput kept_out(options.max_output), kept_err(options.max_output);
  size_t input_written = 0;
  if (options.input.empty()) in.close_end(1);
  else ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);

  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  char buf[65536];
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    pollfd fds[3];
    int n = 0;
    if (out.fd[0] >= 0) fds[n++] = {out.fd[0], POLLIN, 0};
    if (err.fd[0] >= 0) fds[n++] = {err.fd[0], POLLIN, 0};
    if (in.fd[1] >= 0) fds[n++] = {in.fd[1], POLLOUT, 0};
    int wait_ms = -1;
    if (options.cancel != nullptr) {
      if (options.cancel->load()) {
        ::kill(-pid, SIGKILL);
        result.cancelled = true;
        break;
      }
      wait_ms = kCancelPollMs;
    }
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(-pid, SIGKILL);
        result.timed_out = true;
        break;
      }
      wait_ms = wait_ms < 0 ? static_cast<int>(left.count())
                            : std::min(wait_ms, static_cast<int>(left.count()));
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in.fd[1]) {
        ssize_t w = ::write(in.fd[1], options.input.data() + input_written,
                            options.input.size() - input_written);
        if (w > 0) input_written += static_cast<size_t>(w);
        if (w < 0 || input_written == options.input.size()) in.close_end(1);
        continue;
      }
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      Pipe& p = fds[i].fd == out.fd[0] ? out : err;
      KeptOutput& sink = &p == &out ? kept_out : kept_err;
      if (r > 0) sink.append(buf, static_cast<size_t>(r));
      else if (r == 0 || errno != EINTR) p.close_end(0);
    }
  }
  in.close_end(1);
  result.out_bytes = kept_out.total();
  result.err_bytes = kept_err.total();
  result.out = kept_out.take();
  result.err = kept_err.take();

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace autoswarm::util
