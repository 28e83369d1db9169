// Verdicts and branch choices read from a stage's output: the last line or a JSON field.
#include <catch2/catch.hpp>

#include "autoswarm/bench/spec/pipeline_spec.h"

using namespace autoswarm::bench;

TEST_CASE("a verdict is PASS or FAIL on the output's last line", "[bench][verdict]") {
  const OutputReading last_line;
  CHECK(read_verdict("All tests ran.\nPASS\n\n", last_line) == true);
  CHECK(read_verdict("The file is missing.\nFAIL", last_line) == false);
  CHECK(read_verdict("checked\nVerdict: **FAIL**.", last_line) == false);
  CHECK(read_verdict("checked\nverdict: passed", last_line) == true);
  CHECK(read_verdict("PASS\nbut one more thing", last_line) == std::nullopt);  // only the last line counts
  CHECK(read_verdict("FAIL\nPASS or FAIL?", last_line) == std::nullopt);       // both
  CHECK(read_verdict("BYPASS\nfailures: 0", last_line) == std::nullopt);       // whole words only
  CHECK(read_verdict("", last_line) == std::nullopt);
}

TEST_CASE("a verdict from a JSON field", "[bench][verdict]") {
  OutputReading field;
  field.json_field = "status";
  CHECK(read_verdict(R"(Here it is: {"status": "FAIL", "why": "no file"})", field) == false);
  CHECK(read_verdict("```json\n{\"status\": \"pass\"}\n```", field) == true);
  CHECK(read_verdict(R"({"status": true})", field) == true);
  CHECK(read_verdict(R"({"result": "PASS"})", field) == std::nullopt);
  CHECK(read_verdict("PASS", field) == std::nullopt);
  CHECK(read_output(R"({"status": {"a": 1}})", field) == R"({"a":1})");
}

TEST_CASE("a synthesis stage's choice names a branch", "[bench][choice]") {
  const std::vector<std::string> branches{"solve_a", "solve_b"};
  CHECK(read_choice("b checked its work.\nCHOSEN: solve_b", {}, branches) == "solve_b");
  CHECK(read_choice("solve_a, not solve_b", {}, branches) == "solve_a");
  CHECK(read_choice("CHOSEN: solve_c", {}, branches) == std::nullopt);
  CHECK(read_choice("CHOSEN: solve_a_prime", {}, branches) == std::nullopt);
  OutputReading field;
  field.json_field = "branch";
  CHECK(read_choice(R"({"branch": "solve_b", "why": "solve_a did not test"})", field, branches) == "solve_b");
}
