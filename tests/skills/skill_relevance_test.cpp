// The labelled questions the default relevance floor (skills::kDefaultMinScore) was chosen on: a
// skillbook of the kind reflect writes and questions a developer asks, each with the skills that
// are on its topic. A floor too low lets unrelated skills into prompts (a pip question got the
// Makefile skill); one too high keeps a skill from the question it was written for.
#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include "autoswarm/skills/skill_injection.h"

namespace autoswarm::skills::relevance_test {
namespace {

const std::vector<std::string> kSkills = {
    /* 0 */ "Write Makefile recipes with tabs, never spaces, and mark phony targets with .PHONY.",
    /* 1 */ "Prefer pathlib over os.path in Python code, and open files with an explicit encoding.",
    /* 2 */ "Run cargo clippy before committing Rust code and fix every warning it reports.",
    /* 3 */ "In the fish shell, set variables with set -x NAME value, not export.",
    /* 4 */ "For git merge conflicts, show the exact git commands to resolve them and to continue the merge.",
    /* 5 */ "Install Python packages with pip inside a virtual environment, never with sudo.",
    /* 6 */ "Give Docker commands with --rm so that stopped containers do not pile up.",
    /* 7 */ "When a SQL query is slow, suggest EXPLAIN ANALYZE before adding indexes.",
    /* 8 */ "Quote shell variables in bash scripts, as \"$var\", so paths with spaces survive.",
    /* 9 */ "Pin dependency versions in requirements.txt for reproducible Python builds.",
};

struct Case {
  const char* question;
  std::set<size_t> relevant;
};

const std::vector<Case> kCases = {
    {"my Makefile says missing separator", {0}},
    {"how do I declare phony targets in makefiles?", {0}},
    {"how do I install requests with pip?", {5}},
    {"pip install fails with permission denied, should I use sudo?", {5}},
    {"what is the python way to join paths?", {1}},
    {"reading a file in python gives UnicodeDecodeError", {1}},
    {"clippy warns about needless borrow in my rust code", {2}},
    {"how do I export an environment variable in fish?", {3}},
    {"I have a merge conflict in git, what now?", {4}},
    {"git says both modified after merging main", {4}},
    {"my docker ps -a is full of exited containers", {6}},
    {"this postgres query takes 10 seconds, how to speed it up?", {7}},
    {"should I add an index to make this SQL query faster?", {7}},
    {"my bash script breaks on file names with spaces", {8}},
    {"how do I make a python build reproducible?", {9}},
    {"what goes in requirements.txt?", {9}},
    {"set up a virtual environment for my python project and install numpy", {5}},
    // Nothing in the book is about these.
    {"what is the capital of Peru?", {}},
    {"write a haiku about autumn", {}},
    {"explain how a CPU cache works", {}},
    {"translate 'good morning' into French", {}},
    {"how many days are there in a leap year?", {}},
    {"recommend a good book about the history of Rome", {}},
    {"what does HTTP status 418 mean?", {}},
};

SkillBook book() {
  SkillBook b;
  for (size_t i = 0; i < kSkills.size(); ++i) {
    Skill s;
    s.id = "sk-" + std::to_string(i);
    s.text = kSkills[i];
    b.skills.push_back(s);
  }
  return b;
}

struct Tally {
  size_t wanted = 0, found = 0, unrelated = 0;
  size_t off_topic_with_skills = 0;  // questions the book has nothing for that got a skill anyway
  std::string misses;
};

Tally tally(const SkillBook& b, const SkillIndex& index, double floor) {
  InjectionLimits limits;
  limits.min_score = floor;
  Tally t;
  for (const Case& c : kCases) {
    const std::vector<size_t> chosen = choose_skills(b, index, c.question, limits);
    const std::set<size_t> got(chosen.begin(), chosen.end());
    t.wanted += c.relevant.size();
    if (c.relevant.empty() && !got.empty()) ++t.off_topic_with_skills;
    for (size_t i : got) {
      if (c.relevant.count(i)) ++t.found;
      else {
        ++t.unrelated;
        t.misses += std::string("\n  unrelated sk-") + std::to_string(i) + " for \"" + c.question + "\"";
      }
    }
    for (size_t i : c.relevant) {
      if (!got.count(i)) t.misses += std::string("\n  missed sk-") + std::to_string(i) + " for \"" + c.question + "\"";
    }
  }
  return t;
}

}  // namespace

TEST_CASE("the default relevance floor gives every labelled question its skill, and off-topic ones none",
          "[skills][relevance]") {
  const SkillBook b = book();
  const SkillIndex index(b);
  std::ostringstream sweep;
  for (double floor : {0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3}) {
    const Tally t = tally(b, index, floor);
    sweep << "floor " << floor << ": found " << t.found << "/" << t.wanted << ", unrelated " << t.unrelated << "\n";
  }
  const Tally at_default = tally(b, index, kDefaultMinScore);
  INFO(sweep.str() << "at the default " << kDefaultMinScore << ":" << at_default.misses);
  CHECK(at_default.found == at_default.wanted);
  CHECK(at_default.off_topic_with_skills == 0);
  // Of the skills chosen, at least 80 % are the ones labelled for the question.
  CHECK(at_default.found * 10 >= (at_default.found + at_default.unrelated) * 8);
  // Without a floor (how every skill that fit was injected before) most choices are unrelated.
  CHECK(tally(b, index, 0.0).unrelated > 5 * at_default.unrelated);
}

}  // namespace autoswarm::skills::relevance_test
