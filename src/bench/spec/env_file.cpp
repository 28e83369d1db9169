#include "autoswarm/bench/spec/env_file.h"

#include <sstream>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/text.h"

namespace autoswarm::bench {
namespace {

bool valid_key(const std::string& key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

EnvMap load_env_file(const std::filesystem::path& path) {
  std::istringstream in(util::read_file(path));
  EnvMap env;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    line = std::string(util::trim(line));
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("export ")) line = std::string(util::trim(line.substr(7)));
    size_t eq = line.find('=');
    std::string where = path.string() + ":" + std::to_string(number) + ": ";
    if (eq == std::string::npos) throw FileError(where + "expected KEY=VALUE");
    std::string key = std::string(util::trim(line.substr(0, eq)));
    std::string value = std::string(util::trim(line.substr(eq + 1)));
    if (!valid_key(key)) {
      throw FileError(where + "'" + key + "' is not a variable name (letters, digits, _)");
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    env[key] = value;
  }
  return env;
}

}  // namespace autoswarm::bench
