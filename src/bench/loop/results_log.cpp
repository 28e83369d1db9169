#include "autoswarm/bench/loop/results_log.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "autoswarm/bench/job_dir.h"
#include "autoswarm/bench/loop/stage_judge.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"

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

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::optional<util::ProcessResult> git(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir.string()});
  util::ProcessOptions options;
  options.timeout = std::chrono::seconds(20);
  try {
    util::ProcessResult r = util::run_process(args, options);
    if (r.exit_code != 0) return std::nullopt;
    return r;
  } catch (const Error&) {  // no git installed
    return std::nullopt;
  }
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

std::string ResultsRow::to_line() const {
  std::string line;
  for (const std::string* f : {&commit, &avg_score, &passed, &task_scores, &stage_scores,
                               &pipeline_topology, &cost_usd, &status, &description}) {
    if (!line.empty() || f != &commit) line += '\t';
    line += clean_field(*f);
  }
  return line;
}

bool is_results_status(const std::string& status) {
  return status == "keep" || status == "discard" || status == "crash";
}

std::string spec_commit(const fs::path& spec_file) {
  fs::path file = fs::absolute(spec_file).lexically_normal();
  fs::path dir = file.parent_path();
  if (!fs::is_directory(dir)) return "-";
  auto head = git(dir, {"rev-parse", "--short", "HEAD"});
  if (!head) return "-";
  std::string commit = trim_newline(head->out);
  if (commit.empty()) return "-";
  auto status = git(dir, {"status", "--porcelain", "--", file.filename().string()});
  if (status && !trim_newline(status->out).empty()) commit += "+";
  return commit;
}

ResultsRow results_row_for_job(const fs::path& job_dir) {
  fs::path file = JobDir(job_dir).summary_file();
  if (!fs::exists(file)) {
    throw FileError("no " + file.string() +
                    ": pass a job directory written by `autoswarm bench run` (default jobs/latest)");
  }
  json result = try_read_job_json(file);
  if (!result.is_object()) throw FileError(file.string() + " is not a JSON object: is the job complete?");

  ResultsRow row;
  row.avg_score = format_number("%.4f", number_field(result, "avg_score"));
  // Out of the tasks (with -k, `passed` counts tasks with a passing attempt).
  const char* out_of = result.contains("n_tasks") ? "n_tasks" : "n_total_trials";
  row.passed = std::to_string(static_cast<long long>(number_field(result, "passed"))) + "/" +
               std::to_string(static_cast<long long>(number_field(result, out_of)));
  if (result.contains("task_scores") && result["task_scores"].is_object()) {
    for (const auto& [task, reward] : result["task_scores"].items()) {
      row.task_scores += (row.task_scores.empty() ? "" : ",") + task + ":" +
                         format_number("%g", reward.is_number() ? reward.get<double>() : 0.0);
    }
  }
  row.stage_scores = format_stage_scores(stored_job_stage_scores(job_dir));
  row.pipeline_topology = result.value("pipeline_topology", "");
  row.cost_usd = format_number("%.4f", number_field(result, "cost_usd"));
  return row;
}

void append_results_row(const fs::path& file, const ResultsRow& row) {
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
  if (content.empty()) {
    content = std::string(kResultsHeader) + "\n";
  } else {
    std::string first = content.substr(0, content.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    if (first != kResultsHeader) {
      throw FileError(file.string() + " does not start with the results.tsv header (" +
                      std::string(kResultsHeader) +
                      "); pass --results FILE to record into another file");
    }
    if (content.back() != '\n') content += '\n';
  }
  content += row.to_line() + "\n";
  util::write_file_atomic(file, content, mode);
}

}  // namespace autoswarm::bench
