// skills_bench: how the skillbook code scales with the number of skills, for
// tests/perf/reflect_bench.sh (see docs/performance.md). Not a test.
//
// Builds a book of N skills with realistic, varied one-sentence texts, writes it as skills.yaml
// (--write), and times: parsing the file (SkillBook::load), choosing the skills to inject into
// one request (skills::choose_skills with the proxy's default limits: 800 tokens, 5 skills and
// the relevance floor; mean of 50 queries) and one novelty check of a new lesson against the whole book. Prints one JSON object:
//
//   {"skills": N, "yaml_bytes": B, "parse_ms": P, "choose_ms": C, "chosen": K, "novelty_ms": V}
//
//   skills_bench --skills 10000 --write /tmp/book/skills.yaml
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "autoswarm/reflect/novelty.h"
#include "autoswarm/skills/skill_book.h"
#include "autoswarm/skills/skill_injection.h"
#include "autoswarm/util/files.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

const std::vector<std::string> kVerbs = {"prefer", "use", "avoid", "show", "quote", "explain", "check", "name",
                                         "keep", "give", "mention", "suggest", "validate", "log", "test"};
const std::vector<std::string> kTopics = {
    "tar archives", "git rebases", "docker images", "python virtualenvs", "sql joins", "bash loops",
    "makefile recipes", "rust lifetimes", "c++ templates", "systemd units", "nginx configs", "regex groups",
    "json schemas", "yaml anchors", "kubernetes pods", "ssh keys", "cron schedules", "unit tests",
    "http headers", "utf-8 strings", "file permissions", "environment variables", "log rotation",
    "database migrations", "api pagination", "error messages", "shell pipelines", "csv parsing"};
const std::vector<std::string> kTails = {
    "before anything else", "with a short example", "and say why in one sentence", "unless the user objects",
    "when the user seems unsure", "with the exact command", "and link the official docs",
    "for the version the user runs", "without inventing flags", "and warn about data loss"};

std::string pick(std::mt19937& rng, const std::vector<std::string>& words) {
  return words[std::uniform_int_distribution<size_t>(0, words.size() - 1)(rng)];
}

std::string skill_text(std::mt19937& rng, size_t i) {
  std::string s = "When the user asks about " + pick(rng, kTopics) + ", " + pick(rng, kVerbs) + " " +
                  pick(rng, kTopics) + " " + pick(rng, kTails) + " (case " + std::to_string(i) + ").";
  s[0] = 'W';
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Times the skillbook code at a given number of skills", "skills_bench");
  size_t n = 10000;
  std::string write_to;
  app.add_option("--skills", n, "Number of skills")->capture_default_str();
  app.add_option("--write", write_to, "Write the generated skills.yaml here")->required();
  CLI11_PARSE(app, argc, argv);

  std::mt19937 rng(42);
  autoswarm::skills::SkillBook book;
  for (size_t i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "sk-%06zx", i);
    book.skills.push_back({id, skill_text(rng, i), "2026-01-01T00:00:00Z", {"20260101T000000.000Z-b00001"}, 3});
  }
  const std::string yaml = book.to_yaml();
  autoswarm::util::write_file_atomic(write_to, yaml);

  auto start = Clock::now();
  autoswarm::skills::SkillBook loaded = autoswarm::skills::SkillBook::load(write_to);
  const double parse_ms = ms_since(start);

  // The proxy indexes each version of skills.yaml once, when it (re)loads it...
  start = Clock::now();
  const autoswarm::skills::SkillIndex index(loaded);
  const double index_ms = ms_since(start);

  // ...and per request only scores the query's words against that index.
  constexpr int kQueries = 50;
  size_t chosen = 0;
  start = Clock::now();
  for (int q = 0; q < kQueries; ++q) {
    const std::string query = "How do I handle " + pick(rng, kTopics) + " and " + pick(rng, kTopics) + "?";
    chosen += autoswarm::skills::choose_skills(loaded, index, query, autoswarm::skills::InjectionLimits{}).size();
  }
  const double choose_ms = ms_since(start) / kQueries;

  start = Clock::now();
  auto verdict = autoswarm::reflect::check_novelty(
      loaded, "When the user asks for tar backups, include -p so permissions survive.");
  const double novelty_ms = ms_since(start);

  nlohmann::json out = {{"skills", n},        {"yaml_bytes", yaml.size()}, {"parse_ms", parse_ms},
                        {"index_ms", index_ms},   {"choose_ms", choose_ms}, {"chosen", chosen / kQueries}, {"novelty_ms", novelty_ms},
                        {"novel", verdict.novel}};
  std::cout << out.dump() << "\n";
  return 0;
}
