#include "autoswarm/bench/trials/verifier.h"

#include <cmath>
#include <map>
#include <sstream>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"

namespace autoswarm::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kRewardJson = "/logs/verifier/reward.json";
constexpr const char* kRewardTxt = "/logs/verifier/reward.txt";
constexpr const char* kLegacyRewardTxt = "/logs/reward.txt";
constexpr milliseconds kHousekeepingTimeout = seconds(60);
constexpr size_t kRewardFileCap = 64 * 1024;

// Nothing the agent left in /tests or in the reward files may count: start from a clean slate.
// /logs/verifier is world-writable so a non-root [verifier].user can write its reward.
constexpr const char* kPrepareVerifierScript =
    "rm -rf /tests /logs/verifier /logs/reward.txt && mkdir -p /logs/verifier && "
    "chmod 777 /logs/verifier";

// For each argument that is a regular file: a header line "<bytes> <path>", then that many
// bytes of it (at most $1). One exec reads every reward file there is.
constexpr const char* kReadRewardFiles =
    "cap=$1; shift; for f in \"$@\"; do if [ -f \"$f\" ]; then "
    "n=$(($(wc -c < \"$f\"))); [ \"$n\" -gt \"$cap\" ] && n=$cap; "
    "printf '%s %s\\n' \"$n\" \"$f\"; head -c \"$n\" \"$f\"; fi; done; true";

// Parses kReadRewardFiles' output into path → content.
std::map<std::string, std::string> parse_reward_files(const std::string& out) {
  std::map<std::string, std::string> files;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t eol = out.find('\n', pos);
    if (eol == std::string::npos) break;
    std::string header = out.substr(pos, eol - pos);
    size_t space = header.find(' ');
    if (space == std::string::npos) break;
    size_t n = std::stoul(header.substr(0, space));
    files[header.substr(space + 1)] = out.substr(eol + 1, n);
    pos = eol + 1 + n;
  }
  return files;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

void fail(VerifierOutcome& o, TrialErrorType type, const std::string& message) {
  o.error_type = type;
  o.error_message = message;
  o.rewards = nullptr;
}

// Reads reward.txt content into o.rewards["reward"]; records the error when it cannot.
bool take_reward_txt(VerifierOutcome& o, const std::string& path, const std::string& text) {
  o.reward_txt = text;
  if (blank(text)) {
    fail(o, TrialErrorType::kRewardFileEmpty, path + " is empty: tests/test.sh must write one number to it");
    return false;
  }
  std::optional<double> value = parse_reward_txt(text);
  if (!value) {
    fail(o, TrialErrorType::kVerifierOutputParse,
         path + " does not hold one number: \"" + text.substr(0, 80) + "\"");
    return false;
  }
  if (!o.rewards.is_object()) o.rewards = nlohmann::json::object();
  o.rewards["reward"] = *value;
  return true;
}

}  // namespace

double VerifierOutcome::reward() const { return reward_of(rewards); }

std::optional<double> parse_reward_txt(const std::string& text) {
  std::istringstream in(text);
  double value = 0;
  if (!(in >> value) || !std::isfinite(value)) return std::nullopt;
  std::string rest;
  if (in >> rest) return std::nullopt;
  return value;
}

VerifierOutcome run_verifier(Environment& env, const Task& task, const VerifierOptions& options) {
  VerifierOutcome o;
  ExecResult prep = env.exec({"sh", "-c", kPrepareVerifierScript}, kHousekeepingTimeout);
  if (prep.exit_code != 0) {
    throw Error("preparing /tests and /logs/verifier in " + env.describe() +
                " failed: " + prep.err + prep.out);
  }
  env.copy_in(task.tests_dir(), "/tests");
  if (options.before_tests) options.before_tests();

  auto timeout = milliseconds(static_cast<long long>(task.verifier.timeout_sec * 1000));
  ExecResult run = env.exec({"bash", "-c", "bash /tests/test.sh 2>&1"}, timeout, "",
                            expand_env(task.verifier.env, options.env_lookup));
  o.test_output = run.out + run.err;
  o.exit_code = run.exit_code;
  if (run.timed_out) {
    fail(o, TrialErrorType::kVerifierTimeout,
         "tests/test.sh did not finish within " + std::to_string(task.verifier.timeout_sec) +
             " s ([verifier].timeout_sec in " + task.task_toml().string() + ")");
    return o;
  }

  ExecResult read = env.exec({"sh", "-c", kReadRewardFiles, "sh", std::to_string(kRewardFileCap),
                              kRewardJson, kRewardTxt, kLegacyRewardTxt},
                             kHousekeepingTimeout);
  std::map<std::string, std::string> files;
  try {
    files = parse_reward_files(read.out);
  } catch (const std::exception&) {
    throw Error("reading the reward files in " + env.describe() + " failed: " + read.err);
  }
  auto json_file = files.find(kRewardJson), txt_file = files.find(kRewardTxt),
       legacy_file = files.find(kLegacyRewardTxt);

  if (json_file != files.end()) {
    const std::string& text = json_file->second;
    o.reward_json = text;
    if (blank(text)) {
      fail(o, TrialErrorType::kRewardFileEmpty, std::string(kRewardJson) + " is empty");
      return o;
    }
    nlohmann::json parsed = util::try_parse_json(text);
    bool flat = parsed.is_object();
    if (flat) {
      for (const auto& item : parsed.items()) flat = flat && item.value().is_number();
    }
    if (!flat) {
      fail(o, TrialErrorType::kVerifierOutputParse,
           std::string(kRewardJson) +
               " is not a JSON object of named numbers such as {\"reward\": 1.0}: \"" +
               text.substr(0, 80) + "\"");
      return o;
    }
    // Harbor's verifier (verifier/verifier.py, verify()): reward.json, when it exists, is the
    // whole verdict, kept as written; reward.txt is read only without it.
    o.rewards = parsed;
    return o;
  }
  if (txt_file != files.end()) {
    take_reward_txt(o, kRewardTxt, txt_file->second);
    return o;
  }
  if (legacy_file != files.end()) {
    take_reward_txt(o, kLegacyRewardTxt, legacy_file->second);
    return o;
  }
  fail(o, TrialErrorType::kRewardFileNotFound,
       "tests/test.sh wrote no reward: neither " + std::string(kRewardJson) + " nor " + kRewardTxt +
           " (nor " + kLegacyRewardTxt + ") exists after it ran (exit code " +
           std::to_string(run.exit_code) + ")");
  return o;
}

}  // namespace autoswarm::bench
