// The layout of what `bench run` writes under jobs/, in one place, as LevelDB's filename.h is
// for a database's files: every name and path of a job directory, the `latest` link, creating
// a job directory and reading one back. Trials write through here (trial.cpp, job.cpp, the
// agent's outputs); bench resume, eval, record and compare read through here.
//
//   jobs/                              the jobs directory (`-o/--jobs-dir`)
//     latest -> 2025-06-01__14-03-12   latest_link(): always the newest job, a relative link
//     2025-06-01__14-03-12/            JobDir (create_job_dir)
//       config.json                    JobDir::config_file(): Harbor's JobConfig
//       autoswarm_config.json          JobDir::autoswarm_config_file(): the rest of the run's
//                                      settings, the spec's origin, the tasks (written at start)
//       result.json                    JobDir::result_file(): Harbor's JobResult
//       autoswarm.json                 JobDir::summary_file(): AutoSwarm's summary and flags
//       .autoswarm.lock                JobDir::lock_file(): held while a run or resume writes it
//       hello-world__Xk3pQ9a/          TrialDir (JobDir::new_trial): <task[:32]>__<7 chars>
//         config.json  result.json     Harbor's TrialConfig and TrialResult
//         exception.txt
//         agent/     instruction.md  trajectory.json  stage_traces.json  stage_scores.json  …
//         verifier/  test-stdout.txt  reward.txt  reward.json
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoswarm::bench {

// Modes of what a job writes under jobs/: results other tools (and other users) read.
inline constexpr unsigned kJobFileMode = 0644;
inline constexpr unsigned kJobDirMode = 0755;

// One trial's directory inside a job directory.
class TrialDir {
 public:
  explicit TrialDir(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& path() const { return dir_; }
  std::string name() const { return dir_.filename().string(); }

  std::filesystem::path config_file() const;     // config.json: Harbor's TrialConfig
  std::filesystem::path result_file() const;     // result.json: Harbor's TrialResult
  std::filesystem::path exception_file() const;  // exception.txt: "<ErrorType>: <message>"

  // agent/: what the agent wrote, and what it left in the container's /logs/agent.
  std::filesystem::path agent_dir() const;
  std::filesystem::path instruction_file() const;   // agent/instruction.md, verbatim
  std::filesystem::path trajectory_file() const;    // agent/trajectory.json (ATIF)
  std::filesystem::path stage_traces_file() const;  // agent/stage_traces.json
  std::filesystem::path stage_scores_file() const;  // agent/stage_scores.json (bench eval)
  // Where /logs/agent is copied first, so that each file lands in agent/ with one rename.
  std::filesystem::path agent_logs_staging_dir() const;

  // verifier/: what the task's tests printed and the reward they wrote.
  std::filesystem::path verifier_dir() const;
  std::filesystem::path test_output_file() const;   // verifier/test-stdout.txt
  std::filesystem::path reward_txt_file() const;    // verifier/reward.txt
  std::filesystem::path reward_json_file() const;   // verifier/reward.json

 private:
  std::filesystem::path dir_;
};

// One job's directory.
class JobDir {
 public:
  explicit JobDir(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& path() const { return dir_; }
  std::string name() const { return dir_.filename().string(); }

  std::filesystem::path config_file() const;   // config.json: Harbor's JobConfig
  // autoswarm_config.json, written once when the job starts, beside config.json: what Harbor's
  // JobConfig has no field for (the flags bench resume needs, e.g. the spec file and the
  // upstream), where the spec came from (its sha256, git commit, dirty tree), the tasks planned
  // and the tasks skipped as unusable. Read by bench resume and bench record.
  std::filesystem::path autoswarm_config_file() const;
  std::filesystem::path result_file() const;   // result.json: Harbor's JobResult, nothing else
  // autoswarm.json: what Harbor's models have no field for (passed, avg_score, topology,
  // task_scores, the command's flags and the spec file), read by record, compare and eval.
  std::filesystem::path summary_file() const;
  // .autoswarm.lock: an exclusive flock (util::FileLock) held by the bench run or bench resume
  // writing the job, so that a resume never removes the trials of a run still going; a killed
  // process releases it.
  std::filesystem::path lock_file() const;

  // A new trial directory's path (not created) for the task whose directory is named
  // `task_dir_name`, named as Harbor names trials: the name's first 32 characters (trailing
  // '_' and '-' dropped), "__", and 7 random characters of shortuuid's alphabet.
  TrialDir new_trial(const std::string& task_dir_name) const;

  // The trials written so far: every subdirectory holding a result.json, by name. Links are
  // not followed, so nothing counts twice. Empty when the directory cannot be read.
  std::vector<TrialDir> trials() const;

  // Every subdirectory named as a trial (is_trial_name), finished or not, by name; links are
  // not followed. What bench resume looks at: a trial killed mid-run has no result.json yet.
  std::vector<TrialDir> trial_dirs() const;

 private:
  std::filesystem::path dir_;
};

// Whether `name` is one new_trial() makes: up to 32 characters, "__", and 7 characters of
// shortuuid's alphabet.
bool is_trial_name(const std::string& name);

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx": the `id` of Harbor's job
// and trial results.
std::string new_uuid();

// <jobs_dir>/latest.
std::filesystem::path latest_link(const std::filesystem::path& jobs_dir);

// A new, empty job directory under `jobs_dir` (created, as are missing parents). An explicit
// `name` must be a plain directory name other than "latest" that does not exist yet (else
// UsageError); an empty one becomes the local time, "%Y-%m-%d__%H-%M-%S", with "-2", "-3", …
// appended when two runs start in the same second. `name` is set to the name used. Throws
// FileError when the directory cannot be created.
JobDir create_job_dir(const std::filesystem::path& jobs_dir, std::string& name);

// Points <jobs_dir>/latest at the job `name`: a relative link renamed over the old one, so a
// reader never finds it missing. Logs a warning when it cannot.
void point_latest_at(const std::filesystem::path& jobs_dir, const std::string& name);

// Whether a trial's reward counts as passed: 1, the task fully solved (within rounding). What
// `passed` means in bench run's summary, the job's autoswarm.json and bench compare.
bool is_passing_reward(double reward);

// A trial's reward out of Harbor's flat map of named numbers (verifier_result.rewards): the
// `reward` key when there is one; else the only key; else, with several keys, 1 when every one
// is at its maximum of 1 and otherwise their mean. 0 without a map or a number. Harbor keeps the
// whole map; this is the one number AutoSwarm's `passed` and avg_score use.
double reward_of(const nlohmann::json& rewards);

// A file of a job read back. Nothing in a job directory is trusted: part of it came out of a
// container. Links are never followed: a symbolic link at the file, or at the agent/ or
// verifier/ directory holding it, is refused, as is anything but a regular file (a FIFO
// cannot block the reader). read_job_file throws FileError naming the file and why.
// try_read_job_file returns nullopt when the file is missing, and also (after a warning that
// names it) when it is refused.
std::string read_job_file(const std::filesystem::path& file);
std::optional<std::string> try_read_job_file(const std::filesystem::path& file);

// A JSON file of a job read back, as read_job_file reads it, depth-limited (util/json.h).
// read_job_json throws FileError naming the file when it cannot be read or is not JSON ("was
// the job interrupted while writing it?"). try_read_job_json returns a discarded value
// (is_discarded()) instead when try_read_job_file gives nothing or it is not JSON; FileError
// when it exists but cannot be read.
nlohmann::json read_job_json(const std::filesystem::path& file);
nlohmann::json try_read_job_json(const std::filesystem::path& file);

}  // namespace autoswarm::bench
