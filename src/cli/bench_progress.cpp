#include "bench_progress.h"
#include "autoswarm/util/text.h"

#include <iostream>


namespace autoswarm::cli {
namespace {

constexpr size_t kMessageChars = 160;

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string clock_time(std::chrono::steady_clock::duration d) {
  long s = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string short_line(std::string s) {
  s = util::one_line(std::move(s));
  if (s.size() > kMessageChars) s = s.substr(0, kMessageChars) + "…";
  return s;
}

}  // namespace

BenchProgress::BenchProgress(bool live, bool color) : live_(live), color_(color) {}

std::string BenchProgress::trial_line(const bench::TrialResult& t, bool color) {
  std::string word = t.passed() ? "PASS " : t.error ? "ERROR" : "FAIL ";
  if (color) word = (t.passed() ? "\033[32m" : "\033[31m") + word + "\033[0m";
  std::string line = word + "  " + t.task_name + "  reward=" + fixed(t.reward(), 2) + "  " +
                     fixed(t.duration_sec, 1) + "s";
  if (t.turns > 0) line += "  turns=" + std::to_string(t.turns);
  if (t.error) line += "  " + bench::to_string(t.error->type) + ": " + short_line(t.error->message);
  return line;
}

void BenchProgress::clear_status() {
  if (status_shown_) std::cout << "\r\033[K";
  status_shown_ = false;
}

void BenchProgress::trial_finished(const bench::TrialResult& trial,
                                   const bench::JobProgress& progress) {
  clear_status();
  std::cout << trial_line(trial, color_) << "\n";
  if (live_) tick(progress);
  std::cout.flush();
}

void BenchProgress::tick(const bench::JobProgress& p) {
  if (!live_) return;
  std::string status = "[" + std::to_string(p.done) + "/" + std::to_string(p.total) + "] passed " +
                       std::to_string(p.passed) + "  running " + std::to_string(p.running) +
                       "  errors " + std::to_string(p.errors) + "  elapsed " +
                       clock_time(p.elapsed);
  if (status_shown_ && status == last_status_) return;  // redraw only what changed
  std::cout << "\r\033[K" << status << std::flush;
  last_status_ = status;
  status_shown_ = true;
}

void BenchProgress::interrupted() {
  clear_status();
  std::cerr << "interrupted: starting no more trials, removing this run's containers…\n";
}

void BenchProgress::finish() {
  clear_status();
  std::cout.flush();
}

}  // namespace autoswarm::cli
