// The job directory's names, its creation and the `latest` link, and reading it back.
#include "autoswarm/bench/job_dir.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <string_view>
#include <system_error>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"

namespace autoswarm::bench {

namespace fs = std::filesystem;

namespace {

// Every name of the layout (see the top of job_dir.h).
constexpr const char* kConfigFile = "config.json";
constexpr const char* kResultFile = "result.json";
constexpr const char* kAutoswarmConfigFile = "autoswarm_config.json";
constexpr const char* kSummaryFile = "autoswarm.json";
constexpr const char* kLockFile = ".autoswarm.lock";
constexpr const char* kExceptionFile = "exception.txt";
constexpr const char* kAgentDir = "agent";
constexpr const char* kInstructionFile = "instruction.md";
constexpr const char* kTrajectoryFile = "trajectory.json";
constexpr const char* kStageTracesFile = "stage_traces.json";
constexpr const char* kStageScoresFile = "stage_scores.json";
constexpr const char* kAgentLogsStagingDir = ".agent-logs.tmp";
constexpr const char* kVerifierDir = "verifier";
constexpr const char* kTestOutputFile = "test-stdout.txt";
constexpr const char* kRewardTxtFile = "reward.txt";
constexpr const char* kRewardJsonFile = "reward.json";
constexpr const char* kLatestLink = "latest";
constexpr const char* kJobNameFormat = "%Y-%m-%d__%H-%M-%S";

std::string local_time_name() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, kJobNameFormat, &local);
  return buf;
}

// Creates `dir`; false when it already exists. Throws FileError when it cannot be created.
bool claim_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directory(dir, ec)) {
    fs::permissions(dir, static_cast<fs::perms>(kJobDirMode), ec);
    return true;
  }
  if (ec) throw FileError("cannot create the job directory " + dir.string() + ": " + ec.message());
  return false;
}

}  // namespace

fs::path TrialDir::config_file() const { return dir_ / kConfigFile; }
fs::path TrialDir::result_file() const { return dir_ / kResultFile; }
fs::path TrialDir::exception_file() const { return dir_ / kExceptionFile; }
fs::path TrialDir::agent_dir() const { return dir_ / kAgentDir; }
fs::path TrialDir::instruction_file() const { return agent_dir() / kInstructionFile; }
fs::path TrialDir::trajectory_file() const { return agent_dir() / kTrajectoryFile; }
fs::path TrialDir::stage_traces_file() const { return agent_dir() / kStageTracesFile; }
fs::path TrialDir::stage_scores_file() const { return agent_dir() / kStageScoresFile; }
fs::path TrialDir::agent_logs_staging_dir() const { return dir_ / kAgentLogsStagingDir; }
fs::path TrialDir::verifier_dir() const { return dir_ / kVerifierDir; }
fs::path TrialDir::test_output_file() const { return verifier_dir() / kTestOutputFile; }
fs::path TrialDir::reward_txt_file() const { return verifier_dir() / kRewardTxtFile; }
fs::path TrialDir::reward_json_file() const { return verifier_dir() / kRewardJsonFile; }

fs::path JobDir::config_file() const { return dir_ / kConfigFile; }
fs::path JobDir::autoswarm_config_file() const { return dir_ / kAutoswarmConfigFile; }
fs::path JobDir::result_file() const { return dir_ / kResultFile; }

fs::path JobDir::summary_file() const { return dir_ / kSummaryFile; }
fs::path JobDir::lock_file() const { return dir_ / kLockFile; }

namespace {

// shortuuid's alphabet: digits and letters without the look-alikes 0, 1, I, O, l.
constexpr std::string_view kShortUuidAlphabet =
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

std::mt19937_64& random_engine() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace

TrialDir JobDir::new_trial(const std::string& task_dir_name) const {
  std::string base = task_dir_name.substr(0, 32);
  while (!base.empty() && (base.back() == '_' || base.back() == '-')) base.pop_back();
  std::uniform_int_distribution<size_t> pick(0, kShortUuidAlphabet.size() - 1);
  std::string name;
  do {
    name = base + "__";
    for (int i = 0; i < 7; ++i) name += kShortUuidAlphabet[pick(random_engine())];
  } while (fs::exists(fs::symlink_status(dir_ / name)));
  return TrialDir(dir_ / name);
}

bool is_trial_name(const std::string& name) {
  constexpr size_t kSuffix = 2 + 7;  // "__" and the random part
  if (name.size() < kSuffix || name.size() > 32 + kSuffix) return false;
  const size_t at = name.size() - kSuffix;
  if (name.compare(at, 2, "__") != 0) return false;
  return name.find_first_not_of(kShortUuidAlphabet, at + 2) == std::string::npos;
}

std::string new_uuid() {
  std::uniform_int_distribution<int> nibble(0, 15);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int v = nibble(random_engine());
    if (i == 12) v = 4;                 // version 4
    if (i == 16) v = 8 | (v & 3);       // variant 10xx
    out += digits[v];
  }
  return out;
}

std::vector<TrialDir> JobDir::trials() const {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
    fs::file_status result = fs::symlink_status(TrialDir(entry.path()).result_file(), ec);
    if (fs::is_regular_file(result)) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return {dirs.begin(), dirs.end()};
}

std::vector<TrialDir> JobDir::trial_dirs() const {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.is_symlink(ec) || !entry.is_directory(ec)) continue;
    if (is_trial_name(entry.path().filename().string())) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return {dirs.begin(), dirs.end()};
}

fs::path latest_link(const fs::path& jobs_dir) { return jobs_dir / kLatestLink; }

JobDir create_job_dir(const fs::path& jobs_dir, std::string& name) {
  util::ensure_directory(jobs_dir, kJobDirMode);
  if (!name.empty()) {
    if (name == kLatestLink || name.find('/') != std::string::npos || name == "." || name == "..") {
      throw UsageError("--job-name '" + name +
                       "' cannot be used: choose a plain directory name "
                       "other than 'latest'");
    }
    if (!claim_directory(jobs_dir / name)) {
      throw UsageError("job directory " + (jobs_dir / name).string() +
                       " already exists: choose another --job-name, or remove it");
    }
    return JobDir(jobs_dir / name);
  }
  // mkdir is atomic: two runs starting in the same second get different directories.
  std::string base = local_time_name();
  name = base;
  for (int i = 2; !claim_directory(jobs_dir / name); ++i) name = base + "-" + std::to_string(i);
  return JobDir(jobs_dir / name);
}

void point_latest_at(const fs::path& jobs_dir, const std::string& name) {
  fs::path link = latest_link(jobs_dir);
  fs::path tmp = jobs_dir / ("." + link.filename().string() + ".tmp-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_symlink(name, tmp, ec);
  if (!ec) fs::rename(tmp, link, ec);
  if (ec) {
    fs::remove(tmp);
    spdlog::warn("could not point {} at {}: {}", link.string(), name, ec.message());
  }
}

bool is_passing_reward(double reward) { return reward >= 1.0 - 1e-9; }

double reward_of(const nlohmann::json& rewards) {
  if (!rewards.is_object() || rewards.empty()) return 0.0;
  auto number = [](const nlohmann::json& v) { return v.is_number() ? v.get<double>() : 0.0; };
  if (rewards.contains("reward")) return number(rewards["reward"]);
  if (rewards.size() == 1) return number(rewards.begin().value());
  double sum = 0;
  bool all_max = true;
  for (const auto& [key, value] : rewards.items()) {
    sum += number(value);
    all_max = all_max && is_passing_reward(number(value));
  }
  return all_max ? 1.0 : sum / static_cast<double>(rewards.size());
}

namespace {

// A file of a job that is not a regular file where the layout puts it: a link at it or at
// the agent/ or verifier/ directory holding it. "" when it is fine (or missing).
std::string refusal(const fs::path& file) {
  std::error_code ec;
  fs::path holder = file.parent_path();
  std::string name = holder.filename().string();
  if ((name == kAgentDir || name == kVerifierDir) && fs::is_symlink(fs::symlink_status(holder, ec))) {
    return "refusing to read " + file.string() + ": " + holder.string() +
           " is a symbolic link, and the files of a job directory are never followed";
  }
  fs::file_type type = fs::symlink_status(file, ec).type();
  if (type == fs::file_type::not_found || type == fs::file_type::regular) return "";
  return "refusing to read " + file.string() + ": it is " + util::describe_file_type(file) +
         ", and only regular files of a job directory are read";
}

}  // namespace

std::string read_job_file(const fs::path& file) {
  std::string refused = refusal(file);
  if (!refused.empty()) throw FileError(refused);
  return util::read_regular_file(file);  // refuses what may have appeared since
}

std::optional<std::string> try_read_job_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return std::nullopt;
  std::string refused = refusal(file);
  if (!refused.empty()) {
    spdlog::warn("{}", refused);
    return std::nullopt;
  }
  return util::read_regular_file(file);
}

nlohmann::json read_job_json(const fs::path& file) {
  std::string text = read_job_file(file);
  try {
    return util::parse_json(text);
  } catch (const util::JsonError& e) {
    throw FileError(file.string() + " is not valid JSON (" + e.what() +
                    "); was the job interrupted while writing it?");
  }
}

nlohmann::json try_read_job_json(const fs::path& file) {
  std::optional<std::string> text = try_read_job_file(file);
  if (!text) return nlohmann::json(nlohmann::json::value_t::discarded);
  return util::try_parse_json(*text);
}

}  // namespace autoswarm::bench
