#include "structure/include_layers.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "autoswarm/util/text.h"

namespace autoswarm::structure {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The text between the quotes of `#include "..."`, if the line is one.
std::optional<std::string> quoted_include(std::string_view line) {
  line = util::trim(line);
  if (!line.starts_with('#')) return std::nullopt;
  line = util::trim(line.substr(1));
  if (!line.starts_with("include")) return std::nullopt;
  line = util::trim(line.substr(7));
  if (!line.starts_with('"')) return std::nullopt;
  const size_t close = line.find('"', 1);
  if (close == std::string_view::npos) return std::nullopt;
  return std::string(line.substr(1, close - 1));
}

// `path` below `base` ("src/llm/x.cpp" below "src" -> "llm/x.cpp"); nothing when outside.
std::optional<std::string> below(const fs::path& path, const fs::path& base) {
  const fs::path rel = path.lexically_normal().lexically_relative(base.lexically_normal());
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return rel.generic_string();
}

}  // namespace

LayerTable LayerTable::parse(std::string_view text) {
  LayerTable table;
  std::vector<std::pair<int, std::string>> mentioned;
  std::istringstream in{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const std::string_view content = util::trim(std::string_view(line).substr(0, line.find('#')));
    if (content.empty()) continue;
    const size_t colon = content.find(':');
    const std::string where = "layers table line " + std::to_string(number) + ": ";
    if (colon == std::string_view::npos) {
      throw std::invalid_argument(where + "expected '<module>: <modules it may include>'");
    }
    const std::string module(util::trim(content.substr(0, colon)));
    if (module.empty() || words(module).size() != 1) {
      throw std::invalid_argument(where + "expected one module name before ':'");
    }
    if (table.allowed_.count(module) > 0) throw std::invalid_argument(where + module + " is listed twice");
    std::set<std::string>& allowed = table.allowed_[module];
    for (std::string& to : words(content.substr(colon + 1))) {
      mentioned.emplace_back(number, to);
      allowed.insert(std::move(to));
    }
  }
  for (const auto& [line, module] : mentioned) {
    if (table.allowed_.count(module) == 0) {
      throw std::invalid_argument("layers table line " + std::to_string(line) + ": " + module +
                                  " has no line of its own");
    }
  }
  return table;
}

std::optional<std::string> LayerTable::module_of(std::string_view path) const {
  const fs::path p{std::string(path)};
  if (!p.has_parent_path()) {
    std::string stem = p.stem().string();
    if (allowed_.count(stem) > 0) return stem;
    return std::nullopt;
  }
  std::optional<std::string> best;
  for (const auto& [module, allowed] : allowed_) {
    if (path.starts_with(module + "/") && (!best || module.size() > best->size())) best = module;
  }
  return best;
}

bool LayerTable::allows(const std::string& from, const std::string& to) const {
  if (from == to) return true;
  auto it = allowed_.find(from);
  return it != allowed_.end() && it->second.count(to) > 0;
}

std::string IncludeViolation::message() const {
  if (include.empty()) return file + ": " + reason;
  return file + ":" + std::to_string(line) + ": #include \"" + include + "\": " + reason;
}

std::vector<IncludeViolation> check_includes(const fs::path& root, const LayerTable& table) {
  const fs::path include_root = root / "include" / "autoswarm";
  std::vector<fs::path> files;
  for (const fs::path& base : {root / "src", include_root}) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (it->is_regular_file() && (p.extension() == ".h" || p.extension() == ".cpp")) files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());

  std::vector<IncludeViolation> violations;
  for (const fs::path& file : files) {
    const fs::path base = below(file, include_root) ? include_root : root / "src";
    const std::string shown = *below(file, root);
    const std::optional<std::string> from = table.module_of(*below(file, base));
    if (!from) {
      violations.push_back({shown, 0, "", "the file is in no module of the layers table"});
      continue;
    }
    std::ifstream in(file);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      const std::optional<std::string> include = quoted_include(line);
      if (!include) continue;
      std::optional<std::string> target;
      if (include->starts_with("autoswarm/")) {
        target = include->substr(std::string("autoswarm/").size());
      } else {
        target = below(file.parent_path() / *include, base);
      }
      const std::optional<std::string> to = target ? table.module_of(*target) : std::nullopt;
      if (!to) {
        violations.push_back({shown, number, *include, "it is in no module of the layers table"});
      } else if (!table.allows(*from, *to)) {
        violations.push_back({shown, number, *include, *from + " may not include " + *to});
      }
    }
  }
  return violations;
}

}  // namespace autoswarm::structure
