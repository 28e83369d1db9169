// `autoswarm bench plot`: results.tsv drawn as an SVG chart — passed per experiment in order,
// kept / discarded / crashed experiments marked apart, and the running best of the kept ones.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace autoswarm::bench {

// What the chart needs of one results.tsv row.
struct ExperimentPoint {
  size_t number = 0;                  // 1-based position in the file
  std::string commit;
  double passed = 0;                  // `passed`: 3, or the 3 of "3/4" (0 when not a number)
  std::optional<double> trials;       // out of how many: the `n_tasks` column, or the 4 of "3/4"
  std::string status;                 // keep | discard | crash (anything else is drawn as discard)
  std::string description;
};

// Reads results.tsv text: tab-split lines, columns found by the header's names (`passed`,
// `n_tasks`, `status`, `commit`, `description`), so a file without some column (e.g.
// stage_scores, or the nine-column layout without n_tasks whose passed reads "3/4") is read
// too; a file without a header is taken in the standard column order. Blank lines are
// skipped. `file_name` appears in errors (a header without a `passed` column).
std::vector<ExperimentPoint> parse_experiments(const std::string& tsv_text,
                                               const std::string& file_name = "results.tsv");

// Reads and parses a file; FileError naming it when it cannot be read.
std::vector<ExperimentPoint> load_experiments(const std::filesystem::path& results_file);

// The running best over kept experiments, one value per point: nullopt before the first kept
// one, else the highest `passed` of the kept experiments up to and including this one.
std::vector<std::optional<double>> running_best(const std::vector<ExperimentPoint>& points);

// A standalone SVG document (UTF-8, well-formed XML): title, axes with ticks and labels, one
// <circle> per experiment (class kept / discarded / crash, with a <title> tooltip naming the
// commit and description), the running best as a step line, and a legend.
std::string render_experiments_svg(const std::vector<ExperimentPoint>& points,
                                   const std::string& title = "AutoSwarm experiments");

// Text made safe for XML character data and attribute values (& < > " ' escaped, control
// characters other than tab/newline dropped).
std::string xml_escape(const std::string& text);

}  // namespace autoswarm::bench
