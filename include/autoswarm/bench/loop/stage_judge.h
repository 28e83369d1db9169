// The per-stage judge of `bench eval`: per-stage credit assignment for a finished job. Each
// executed stage of a trial (stage_traces.json) is scored 0–1 by one LLM call: a non-final stage on
// how well its output equips the stage that consumed it (the trace's consumed_by: the next stage,
// the stage a FAIL verdict sent the run back to, the synthesis stage after a branch, the stage
// that called it as a tool; the next trace entry in traces without it), the final one on
// whether its output resolves the task. Scores go to <trial>/agent/stage_scores.json.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/llm/chat.h"

namespace autoswarm::llm {
class Client;
}

namespace autoswarm::bench {

// What the judge sees of one stage execution.
struct StageJudgeInput {
  std::string task;            // the instruction
  std::string stage;           // the stage's id
  std::string role;            // its system prompt ("" when unknown)
  std::string input_context;   // what it was handed
  std::string output;          // its final text
  std::optional<std::string> next_stage;  // the stage that consumed the output; none: final
  std::string next_role;                  // that stage's system prompt
};

// How much of each text the judge is shown (characters; longer texts keep head and tail).
struct JudgeBounds {
  size_t task_chars = 6000;
  size_t input_chars = 3000;
  size_t output_chars = 10000;
  size_t role_chars = 3000;
};

// One judged stage execution.
struct StageScore {
  std::string stage;
  std::string next_stage;      // "" for the final stage
  double score = 0.0;          // 0.0–1.0
  std::string missing;         // what the next stage (or the task) still needed
  std::string assessment;
  std::string error;           // why the score is 0 without a judgment: unparsable answer, failed call
  bool call_failed = false;    // the judge could not be asked: judged again on the next eval

  nlohmann::json to_json() const;
  static StageScore from_json(const nlohmann::json& j);
};

// The judge call for one stage (system + user message, temperature 0).
llm::ChatRequest judge_request(const StageJudgeInput& input, const JudgeBounds& bounds = {});

// Reads the judge's reply tolerantly (fenced block, prose around it, trailing commas, a score given
// as a string or a percentage); one without a usable score gives score 0 and `error`.
StageScore parse_judge_answer(std::string_view reply);

// Stage ids with their scores, "explore:0.82,plan:0.71" (two decimals).
std::string format_stage_scores(const std::vector<std::pair<std::string, double>>& scores);

// The job aggregate: per stage id, in order of first execution, the mean over every judged
// execution of it in every trial.
std::vector<std::pair<std::string, double>> aggregate_stage_scores(
    const std::vector<std::vector<StageScore>>& trials);

// The aggregate of the scores already stored in a job's trials; empty when eval never ran.
std::vector<std::pair<std::string, double>> stored_job_stage_scores(const std::filesystem::path& job_dir);

struct EvalOptions {
  llm::Client* client = nullptr;
  std::string model;           // the judge model
  size_t n_concurrent = 4;     // judge calls at the same time
  bool force = false;          // judge again even where stage_scores.json exists
  JudgeBounds bounds;
};

// One trial's outcome of an eval.
struct TrialStageScores {
  std::string task_name;
  std::filesystem::path trial_dir;
  std::vector<StageScore> stages;  // in execution order; empty: the trial has no stage traces
  bool reused = false;             // read from stage_scores.json, no call made
  size_t failed_calls = 0;

  // "<task> explore:0.82,plan:0.71" ("<task> (no stages)" without traces).
  std::string line() const;
};

struct EvalResult {
  std::vector<TrialStageScores> trials;  // in trial-directory order
  size_t failed_calls = 0;

  std::vector<std::pair<std::string, double>> aggregate() const;
  // "stage_scores: explore:0.82,plan:0.71"
  std::string aggregate_line() const;
};

// How many judge calls evaluate_job would make (0: every score is stored), so that a caller
// only looks for an LLM when one is needed.
size_t judge_calls_needed(const std::filesystem::path& job_dir, bool force);

// Judges every trial of `job_dir` (each subdirectory with a result.json), n_concurrent calls at a
// time, writes each trial's agent/stage_scores.json atomically, and reports each trial, in
// trial order, as soon as it and the ones before it are done. Throws FileError when `job_dir` is
// not a job directory.
EvalResult evaluate_job(const std::filesystem::path& job_dir, const EvalOptions& options,
                        const std::function<void(const TrialStageScores&)>& on_trial = {});

}  // namespace autoswarm::bench
