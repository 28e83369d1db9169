// What `autoswarm bench run` shows while it runs: on a terminal a live status line (done/total,
// passed, running, elapsed) under one line per finished trial; otherwise just those lines.
#pragma once

#include <cstdio>
#include <string>

#include "autoswarm/bench/trials/job.h"

namespace autoswarm::cli {

class BenchProgress {
 public:
  // `live`: redraw a status line (stdout is a terminal); `color`: mark PASS/FAIL in colour.
  BenchProgress(bool live, bool color);

  void trial_finished(const bench::TrialResult& trial, const bench::JobProgress& progress);
  void tick(const bench::JobProgress& progress);
  void interrupted();
  // Clears the status line, so the summary line is the last thing on stdout.
  void finish();

  // "PASS  hello-world  reward=1.00  3.2s" (+ "  ErrorType: message" when it failed).
  static std::string trial_line(const bench::TrialResult& trial, bool color);

 private:
  void clear_status();

  bool live_;
  bool color_;
  bool status_shown_ = false;
  std::string last_status_;
};

}  // namespace autoswarm::cli
