#include "autoswarm/util/data_dir.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"

namespace autoswarm::util {
namespace {

std::filesystem::path home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  throw Error("cannot find your home directory: set HOME, AUTOSWARM_HOME or pass --home DIR");
}

std::filesystem::path expand_tilde(const std::string& p) {
  if (p == "~") return home_directory();
  if (p.starts_with("~/")) return home_directory() / p.substr(2);
  return p;
}

}  // namespace

DataDir DataDir::resolve(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return DataDir(expand_tilde(*flag));
  if (const char* env = std::getenv("AUTOSWARM_HOME"); env != nullptr && *env != '\0') {
    return DataDir(expand_tilde(env));
  }
  return DataDir(home_directory() / ".autoswarm");
}

void DataDir::ensure() const { ensure_directory(root_, 0700); }

}  // namespace autoswarm::util
