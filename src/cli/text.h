// Small text helpers for what subcommands print.
#pragma once

#include <string>

namespace autoswarm::cli {

// `s` on one line: line breaks and tabs become spaces (listings print one item per line).
inline std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace autoswarm::cli
