// The one exception family of AutoSwarm. Every message is written for the person at the
// terminal: what failed, which file, URL or field, and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace autoswarm {

// Base of every error the core throws. `main` prints "error: <what()>" and exits 1.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The command line was wrong (unknown flag, bad value). `main` exits 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// A file the user owns is missing, unreadable or malformed. The message names the file
// (and line, where there is one).
class FileError : public Error {
 public:
  using Error::Error;
};

}  // namespace autoswarm
