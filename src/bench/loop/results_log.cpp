#include "autoswarm/bench/loop/results_log.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/loop/stage_judge.h"
#include "autoswarm/bench/spec/spec_origin.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"

namespace autoswarm::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string format_number(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

double number_field(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

size_t count_field(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_unsigned() ? j[key].get<size_t>() : 0;
}

// The job directory's own name, also when given as jobs/latest.
std::string job_name_of(const fs::path& job_dir) {
  std::error_code ec;
  fs::path real = fs::weakly_canonical(job_dir, ec);
  return (ec ? job_dir : real).filename().string();
}

}  // namespace

std::string clean_field(const std::string& text) {
  std::string out;
  bool in_control = false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      if (!in_control) out += ' ';
      in_control = true;
    } else {
      out += c;
      in_control = false;
    }
  }
  size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

std::string ResultsRow::to_line(ResultsLayout layout) const {
  const bool nine = layout == ResultsLayout::kNineColumns;
  const std::string passed_field = nine ? passed + "/" + n_tasks : passed;
  std::string line;
  for (const std::string* f : {&commit, &avg_score, &passed_field, &task_scores, &stage_scores,
                               &pipeline_topology, &cost_usd, &status, &description, &job, &n_tasks}) {
    if (nine && (f == &job || f == &n_tasks)) break;
    if (f != &commit) line += '\t';
    line += clean_field(*f);
  }
  return line;
}

bool is_results_status(const std::string& status) {
  return status == "keep" || status == "discard" || status == "crash";
}

std::string spec_commit(const fs::path& spec_file) {
  SpecOrigin origin = spec_origin(spec_file);
  if (origin.git_short_commit.empty()) return "-";
  return origin.git_short_commit + (origin.spec_modified ? "+" : "");
}

ResultsRow results_row_for_job(const fs::path& job_dir, bool crashed) {
  const JobDir job(job_dir);
  json extra = try_read_job_json(job.autoswarm_config_file());
  if (!extra.is_object()) extra = json::object();
  const size_t n_skipped = extra.contains("skipped_tasks") && extra["skipped_tasks"].is_array()
                               ? extra["skipped_tasks"].size() : 0;
  ResultsRow row;
  if (std::optional<SpecOrigin> origin = SpecOrigin::from_json(extra.value("spec", json()))) {
    row.commit = origin->commit_column();
  }

  fs::path file = job.summary_file();
  if (crashed && !fs::exists(file)) {  // the run never finished
    row.avg_score = row.cost_usd = "0.0000";
    row.passed = "0";
    row.n_tasks = std::to_string(util::string_list_field(extra, "tasks").size() + n_skipped);
    row.job = job_name_of(job_dir);
    return row;
  }
  if (!fs::exists(file)) {
    throw FileError("no " + file.string() + ": " +
                    (fs::exists(job.config_file())
                         ? "the job did not reach its end; finish it with `autoswarm bench resume " +
                               job_dir.string() + "`, or record it with --status crash"
                         : std::string("pass a job directory written by `autoswarm bench run` (default jobs/latest)")));
  }
  json result = try_read_job_json(file);
  if (!result.is_object()) throw FileError(file.string() + " is not a JSON object: is the job complete?");

  row.avg_score = format_number("%.4f", number_field(result, "avg_score"));
  // Out of the tasks (with -k, `passed` counts tasks with a passing attempt), the skipped ones
  // counting as failed.
  row.passed = std::to_string(count_field(result, "passed"));
  row.n_tasks = std::to_string(count_field(result, result.contains("n_tasks") ? "n_tasks" : "n_total_trials") +
                               n_skipped);
  if (result.contains("task_scores") && result["task_scores"].is_object()) {
    for (const auto& [task, reward] : result["task_scores"].items()) {
      row.task_scores += (row.task_scores.empty() ? "" : ",") + task + ":" +
                         format_number("%g", reward.is_number() ? reward.get<double>() : 0.0);
    }
  }
  row.stage_scores = format_stage_scores(stored_job_stage_scores(job_dir));
  row.pipeline_topology = result.value("pipeline_topology", "");
  row.cost_usd = format_number("%.4f", number_field(result, "cost_usd"));
  row.job = job_name_of(job_dir);
  return row;
}

std::string unfinished_job_reason(const fs::path& job_dir) {
  const JobDir job(job_dir);
  json summary = try_read_job_json(job.summary_file());
  if (!summary.is_object()) {
    return "it has no readable autoswarm.json: `bench run` did not reach its end (killed, or it crashed)";
  }
  if (summary.contains("interrupted") && summary["interrupted"] == true) return "it was interrupted";
  json result = try_read_job_json(job.result_file());
  const json& stats = util::object_field(result, "stats");
  const size_t planned = count_field(result, "n_total_trials");
  if (stats.contains("n_completed_trials") && count_field(stats, "n_completed_trials") < planned) {
    return "only " + std::to_string(count_field(stats, "n_completed_trials")) + " of its " +
           std::to_string(planned) + " trials finished";
  }
  if (size_t cancelled = count_field(stats, "n_cancelled_trials"); cancelled > 0) {
    return std::to_string(cancelled) + " of its trials were cancelled";
  }
  return "";
}

AppendedRow append_results_row(const fs::path& file, const ResultsRow& row) {
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (!fs::is_directory(dir)) throw FileError("cannot write " + file.string() + ": no directory " + dir.string());
  util::FileLock lock(dir / ("." + file.filename().string() + ".lock"));

  std::string content;
  unsigned mode = 0644;
  if (fs::exists(file)) {
    content = util::read_file(file);
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) mode = st.st_mode & 07777;
  }
  ResultsLayout layout = ResultsLayout::kCurrent;
  if (content.empty()) {
    content = std::string(kResultsHeader) + "\n";
  } else {
    std::string first = content.substr(0, content.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    if (first == kNineColumnHeader) {
      layout = ResultsLayout::kNineColumns;
    } else if (first != kResultsHeader) {
      throw FileError(file.string() + " does not start with the results.tsv header (" +
                      std::string(kResultsHeader) +
                      "); pass --results FILE to record into another file");
    }
    if (content.back() != '\n') content += '\n';
  }
  AppendedRow appended{row.to_line(layout), layout};
  content += appended.line + "\n";
  util::write_file_atomic(file, content, mode);
  return appended;
}

}  // namespace autoswarm::bench
