// results.tsv read as experiments and drawn as a plain SVG chart (`bench plot`).
#include "autoswarm/bench/loop/results_chart.h"
#include "autoswarm/bench/loop/results_log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>
#include <utility>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::bench {

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

// "3/4" -> {3, 4}; "3" -> {3, nullopt}; not a number -> {0, nullopt}.
std::pair<double, std::optional<double>> parse_passed(const std::string& field) {
  const char* begin = field.c_str();
  char* end = nullptr;
  double count = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(count)) return {0.0, std::nullopt};
  if (*end == '/') {
    const char* rest = end + 1;
    char* rest_end = nullptr;
    double total = std::strtod(rest, &rest_end);
    if (rest_end != rest && std::isfinite(total)) return {count, total};
  }
  return {count, std::nullopt};
}

// "4" -> 4; anything that is not a number -> nullopt.
std::optional<double> count_of(const std::string& field) {
  const char* begin = field.c_str();
  char* end = nullptr;
  double count = std::strtod(begin, &end);
  if (end == begin || *end != '\0' || !std::isfinite(count)) return std::nullopt;
  return count;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string format_count(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A tick step of 1, 2 or 5 times a power of ten giving at most `max_ticks` intervals.
double nice_step(double range, int max_ticks) {
  if (range <= 0) return 1;
  double raw = range / max_ticks;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string kind_of(const std::string& status) {
  if (status == "keep") return "kept";
  if (status == "crash") return "crash";
  return "discarded";
}

// The drawing: fixed canvas, plot area inside the margins, legend on the right.
constexpr double kWidth = 880, kHeight = 480;
constexpr double kLeft = 70, kRight = 190, kTop = 56, kBottom = 64;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;  // not XML 1.0
        out += c;
    }
  }
  return out;
}

std::vector<ExperimentPoint> parse_experiments(const std::string& tsv_text,
                                               const std::string& file_name) {
  // A file without a header line is read in the standard column order: results_log.h's header.
  std::map<std::string, size_t> column;
  const std::vector<std::string> standard = split_tabs(kResultsHeader);
  for (size_t i = 0; i < standard.size(); ++i) column[standard[i]] = i;
  std::vector<ExperimentPoint> points;
  bool first = true;
  for (const std::string& line : lines_of(tsv_text)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> fields = split_tabs(line);
    if (first) {
      first = false;
      if (fields[0] == "commit") {  // the header: take the columns from it
        column.clear();
        for (size_t i = 0; i < fields.size(); ++i) column.emplace(fields[i], i);
        if (!column.contains("passed")) {
          throw FileError(file_name + ":1: the header has no `passed` column (expected " +
                          "commit, avg_score, passed, …, status, description)");
        }
        continue;
      }
    }
    auto field = [&](const char* name) -> std::string {
      auto it = column.find(name);
      return it != column.end() && it->second < fields.size() ? fields[it->second] : "";
    };
    ExperimentPoint p;
    p.number = points.size() + 1;
    p.commit = field("commit");
    std::tie(p.passed, p.trials) = parse_passed(field("passed"));
    if (!p.trials) p.trials = count_of(field("n_tasks"));  // eleven columns: passed is a count
    p.status = field("status");
    p.description = field("description");
    points.push_back(std::move(p));
  }
  return points;
}

std::vector<ExperimentPoint> load_experiments(const std::filesystem::path& results_file) {
  return parse_experiments(util::read_file(results_file), results_file.string());
}

std::vector<std::optional<double>> running_best(const std::vector<ExperimentPoint>& points) {
  std::vector<std::optional<double>> best;
  std::optional<double> current;
  for (const ExperimentPoint& p : points) {
    if (p.status == "keep") current = std::max(current.value_or(p.passed), p.passed);
    best.push_back(current);
  }
  return best;
}

std::string render_experiments_svg(const std::vector<ExperimentPoint>& points,
                                   const std::string& title) {
  const size_t n = points.size();
  double y_max = 1;
  for (const ExperimentPoint& p : points) y_max = std::max({y_max, p.passed, p.trials.value_or(0)});
  const double y_step = nice_step(y_max, 8);
  y_max = std::ceil(y_max / y_step - 1e-9) * y_step;
  const double x_step = std::max(1.0, nice_step(static_cast<double>(n), 12));

  // Experiment k (1-based) sits in the middle of the k-th of n equal slots.
  auto x = [&](double k) { return kLeft + (k - 0.5) / static_cast<double>(std::max<size_t>(n, 1)) * kPlotW; };
  auto y = [&](double v) { return kTop + kPlotH - v / y_max * kPlotH; };

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" +
       num(kHeight) + "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
       "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<title>" + xml_escape(title) + "</title>\n";
  s += "<style>.kept{fill:#2e7d32;stroke:#1b5e20}.discarded{fill:#ffffff;stroke:#9e9e9e}"
       ".crash{fill:#c62828;stroke:#8e0000}.best{fill:none;stroke:#2e7d32;stroke-width:2}"
       ".grid{stroke:#e0e0e0}.axis{stroke:#424242}</style>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
       "\" fill=\"#ffffff\"/>\n";
  size_t kept = 0;
  for (const ExperimentPoint& p : points) kept += p.status == "keep";
  s += "<text x=\"" + num(kLeft) + "\" y=\"30\" font-size=\"16\" font-weight=\"bold\">" +
       xml_escape(title) + "</text>\n";
  s += "<text x=\"" + num(kLeft) + "\" y=\"46\" fill=\"#616161\">" + std::to_string(n) +
       (n == 1 ? " experiment, " : " experiments, ") + std::to_string(kept) + " kept</text>\n";

  // The y axis: grid lines, ticks and labels.
  s += "<g class=\"y-axis\">\n";
  for (double v = 0; v <= y_max + 1e-9; v += y_step) {
    std::string yy = num(y(v));
    s += "<line class=\"grid\" x1=\"" + num(kLeft) + "\" y1=\"" + yy + "\" x2=\"" +
         num(kLeft + kPlotW) + "\" y2=\"" + yy + "\"/>\n";
    s += "<line class=\"axis\" x1=\"" + num(kLeft - 5) + "\" y1=\"" + yy + "\" x2=\"" + num(kLeft) +
         "\" y2=\"" + yy + "\"/>\n";
    s += "<text x=\"" + num(kLeft - 8) + "\" y=\"" + num(y(v) + 4) + "\" text-anchor=\"end\">" +
         format_count(v) + "</text>\n";
  }
  s += "</g>\n";
  // The x axis: one tick per experiment (or every x_step-th when there are many).
  s += "<g class=\"x-axis\">\n";
  for (double k = 1; k <= static_cast<double>(n) + 1e-9; k += x_step) {
    std::string xx = num(x(k));
    s += "<line class=\"axis\" x1=\"" + xx + "\" y1=\"" + num(kTop + kPlotH) + "\" x2=\"" + xx +
         "\" y2=\"" + num(kTop + kPlotH + 5) + "\"/>\n";
    s += "<text x=\"" + xx + "\" y=\"" + num(kTop + kPlotH + 19) + "\" text-anchor=\"middle\">" +
         format_count(k) + "</text>\n";
  }
  s += "</g>\n";
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(kLeft) +
       "\" y2=\"" + num(kTop + kPlotH) + "\"/>\n";
  s += "<line class=\"axis\" x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + kPlotH) + "\" x2=\"" +
       num(kLeft + kPlotW) + "\" y2=\"" + num(kTop + kPlotH) + "\"/>\n";
  s += "<text x=\"" + num(kLeft + kPlotW / 2) + "\" y=\"" + num(kHeight - 18) +
       "\" text-anchor=\"middle\">experiment (results.tsv row)</text>\n";
  s += "<text x=\"18\" y=\"" + num(kTop + kPlotH / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " +
       num(kTop + kPlotH / 2) + ")\">passed (tasks solved)</text>\n";

  // The running best over kept experiments: a step line from the first kept one to the end.
  std::vector<std::optional<double>> best = running_best(points);
  std::string d;
  for (size_t i = 0; i < n; ++i) {
    if (!best[i]) continue;
    if (d.empty()) {
      d = "M " + num(x(static_cast<double>(i + 1))) + " " + num(y(*best[i]));
    } else if (*best[i] != *best[i - 1]) {
      d += " H " + num(x(static_cast<double>(i + 1))) + " V " + num(y(*best[i]));
    }
  }
  if (!d.empty()) {
    d += " H " + num(x(static_cast<double>(n)));
    s += "<path class=\"best\" d=\"" + d + "\"/>\n";
  }

  // One circle per experiment, with a tooltip.
  s += "<g class=\"points\">\n";
  for (const ExperimentPoint& p : points) {
    std::string kind = kind_of(p.status);
    std::string passed = format_count(p.passed) + (p.trials ? "/" + format_count(*p.trials) : "");
    std::string tip = "#" + std::to_string(p.number) + " " + (p.commit.empty() ? "-" : p.commit) +
                      " " + (p.status.empty() ? "?" : p.status) + " passed=" + passed +
                      (p.description.empty() ? "" : ": " + p.description);
    s += "<circle class=\"" + kind + "\" cx=\"" + num(x(static_cast<double>(p.number))) +
         "\" cy=\"" + num(y(p.passed)) + "\" r=\"5\" stroke-width=\"1.5\"><title>" + xml_escape(tip) +
         "</title></circle>\n";
  }
  s += "</g>\n";

  // The legend.
  const double lx = kLeft + kPlotW + 24;
  double ly = kTop + 10;
  s += "<g class=\"legend\">\n";
  for (const char* kind : {"kept", "discarded", "crash"}) {
    const std::string label = kind;
    s += "<rect class=\"" + label + "\" x=\"" + num(lx - 5) + "\" y=\"" + num(ly - 5) +
         "\" width=\"10\" height=\"10\" rx=\"5\" stroke-width=\"1.5\"/>\n";
    s += "<text x=\"" + num(lx + 12) + "\" y=\"" + num(ly + 4) + "\">" + label + "</text>\n";
    ly += 22;
  }
  s += "<line class=\"best\" x1=\"" + num(lx - 8) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(lx + 6) +
       "\" y2=\"" + num(ly) + "\"/>\n";
  s += "<text x=\"" + num(lx + 12) + "\" y=\"" + num(ly + 4) + "\">running best (kept)</text>\n";
  s += "</g>\n";
  if (n == 0) {
    s += "<text x=\"" + num(kLeft + kPlotW / 2) + "\" y=\"" + num(kTop + kPlotH / 2) +
         "\" text-anchor=\"middle\" fill=\"#616161\">no experiments recorded yet</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace autoswarm::bench
