// An in-memory Environment for tests that need no Docker: a map of files and scripted command
// results, recording every call so tests can assert what an agent, tool or verifier did.
//
//   FakeEnvironment env;
//   env.set_file("/app/data.txt", "42\n");
//   env.on_command("^pytest", {.exit_code = 1, .out = "1 failed"});   // regex on the command text
//   env.on_command("solve\\.sh", [&](const FakeEnvironment::Call& c) {
//     env.set_file("/logs/verifier/reward.txt", "1");   // handlers may touch the files
//     return autoswarm::bench::ExecResult{.exit_code = 0};
//   });
//   ... run the code under test against `env` ...
//   CHECK(env.calls().at(0).command == "ls -la");
//
// The command text of {"bash", "-lc"|"-c", X} is X; of any other argv its elements joined by
// spaces. Rules are tried newest first; unmatched commands get default_result (exit 0, no output).
// There are no directories: a path is a file or a prefix of files' paths.
// branch() copies the files, rules and user into a new FakeEnvironment (handlers keep acting on what
// they captured); continue_as() takes a branch's files. live_branches() counts the branches made
// from this environment (and theirs) that still exist. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "autoswarm/bench/agent/environment.h"
#include "autoswarm/util/error.h"  // what set_gone() makes every operation throw

namespace autoswarm::testing {

class FakeEnvironment : public bench::Environment {
 public:
  struct Call {
    std::vector<std::string> argv;
    std::string command;                 // see the top of this file
    std::chrono::milliseconds timeout{0};
    std::string input;
    std::map<std::string, std::string> env;
    std::string user;                    // set_user()'s at the time of the call
  };
  using Handler = std::function<bench::ExecResult(const Call&)>;

  FakeEnvironment() = default;

  // Scripted results. `times` < 0: unlimited.
  void on_command(const std::string& regex, bench::ExecResult result, int times = -1);
  void on_command(const std::string& regex, Handler handler, int times = -1);
  void set_default_result(bench::ExecResult result);

  // The in-memory filesystem (absolute paths as keys).
  void set_file(const std::string& path, const std::string& content);
  std::optional<std::string> file(const std::string& path) const;
  bool has_file(const std::string& path) const { return file(path).has_value(); }
  std::map<std::string, std::string> files() const;
  void remove_file(const std::string& path);

  // After this, every operation throws autoswarm::Error as if the container had vanished.
  void set_gone(bool gone);

  std::vector<Call> calls() const;
  // copy_in calls as (host dir, target) pairs.
  std::vector<std::pair<std::string, std::string>> copies() const;

  // Environment
  bench::ExecResult exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         const std::string& input = "",
                         const std::map<std::string, std::string>& env = {}) override;
  void write_file(const std::string& path, const std::string& content) override;
  std::string read_file(const std::string& path, size_t max_bytes = 1 << 20) override;
  void copy_in(const std::filesystem::path& from, const std::string& to) override;
  // Writes the files under `from` ("DIR/." for its contents) to the host directory `to`. The
  // fake holds regular files only, so nothing is ever left out.
  std::vector<std::string> copy_out(const std::string& from,
                                    const std::filesystem::path& to) override;
  void set_user(std::string user) override;
  std::string describe() const override { return describe_; }
  std::unique_ptr<bench::Environment> branch(const std::string& name_hint) override;
  void continue_as(std::unique_ptr<bench::Environment> sibling) override;

  int live_branches() const { return live_branches_->load(); }
  ~FakeEnvironment() override;

 private:
  struct Rule {
    std::regex pattern;
    Handler handler;
    int remaining;
  };
  void check_alive() const;

  mutable std::mutex mutex_;
  std::vector<Rule> rules_;
  bench::ExecResult default_result_{.exit_code = 0, .timed_out = false, .out = "", .err = ""};
  std::map<std::string, std::string> files_;
  std::string user_;
  std::vector<Call> calls_;
  std::vector<std::pair<std::string, std::string>> copies_;
  bool gone_ = false;
  std::string describe_ = "fake";
  std::shared_ptr<std::atomic<int>> live_branches_ = std::make_shared<std::atomic<int>>(0);
  bool is_branch_ = false;
};

}  // namespace autoswarm::testing
