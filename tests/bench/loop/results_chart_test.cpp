// `bench plot`: results.tsv read as experiments and drawn as well-formed SVG.
#include <catch2/catch.hpp>

#include "autoswarm/bench/loop/results_chart.h"
#include "autoswarm/util/error.h"
#include "bench/loop/xml_check.h"

using autoswarm::bench::parse_experiments;
using autoswarm::bench::render_experiments_svg;
using autoswarm::bench::running_best;
using autoswarm::testing::xml_problem;

namespace {

const std::string kHeader =
    "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\t"
    "description\n";

const std::string kResults =
    kHeader +
    "a1b2c3d\t0.5000\t2/4\th:1,c:1,f:0,l:0\t\tvanilla-agent\t0.0000\tkeep\tbaseline\n"
    "b2c3d4e+\t0.2500\t1/4\th:1,c:0,f:0,l:0\tplan:0.5\tplan→execute\t0.0000\tdiscard\tadd a <plan> & \"split\" stage\n"
    "\n"
    "c3d4e5f\t0.7500\t3/4\th:1,c:1,f:1,l:0\t\tvanilla-agent\t0.0000\tkeep\tprompt: check your work\n"
    "d4e5f6a\t0.0000\t0/4\t\t\tvanilla-agent\t0.0000\tcrash\tbad tool name\n"
    "e5f6a7b\t0.5000\t2/4\th:1,c:1,f:0,l:0\t\tvanilla-agent\t0.0000\tkeep\tsimpler prompt, same score\n";

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t i = haystack.find(needle); i != std::string::npos; i = haystack.find(needle, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("results.tsv rows become experiments in order", "[bench][plot]") {
  auto points = parse_experiments(kResults);
  REQUIRE(points.size() == 5);
  CHECK(points[0].number == 1);
  CHECK(points[0].commit == "a1b2c3d");
  CHECK(points[0].passed == 2);
  CHECK(points[0].trials == 4);
  CHECK(points[1].status == "discard");
  CHECK(points[1].description == "add a <plan> & \"split\" stage");
  CHECK(points[3].status == "crash");
  CHECK(points[4].number == 5);
}

TEST_CASE("columns are found by the header, so a missing stage_scores column is fine",
          "[bench][plot]") {
  auto points = parse_experiments(
      "commit\tavg_score\tpassed\ttask_scores\tpipeline_topology\tcost_usd\tstatus\tdescription\n"
      "abc\t1.0\t4/4\t\tp\t0\tkeep\tall pass\n"
      "def\t0.0\toops\n");
  REQUIRE(points.size() == 2);
  CHECK(points[0].passed == 4);
  CHECK(points[0].status == "keep");
  CHECK(points[0].description == "all pass");
  CHECK(points[1].passed == 0);       // not a number, and the short row is padded
  CHECK(points[1].status.empty());
  // Without a header: the standard column order; a bare count works too.
  auto bare = parse_experiments("abc\t1.0\t3\t\t\tp\t0\tkeep\tx\r\n");
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].passed == 3);
  CHECK_FALSE(bare[0].trials);
  CHECK(bare[0].description == "x");
  CHECK_THROWS_AS(parse_experiments("commit\tscore\n"), autoswarm::FileError);
}

TEST_CASE("the eleven columns: passed a count out of n_tasks; both layouts read alike", "[bench][plot]") {
  const std::string row_tail = "\t\t\tp\t0.0000\tkeep\tx";
  auto eleven = parse_experiments(
      "commit\tavg_score\tpassed\ttask_scores\tstage_scores\tpipeline_topology\tcost_usd\tstatus\t"
      "description\tjob\tn_tasks\n"
      "abc\t0.7500\t3" + row_tail + "\tjob-1\t5\n"
      "def\t0.0000\t0" + row_tail + "\tjob-2\t\n");
  REQUIRE(eleven.size() == 2);
  CHECK(eleven[0].passed == 3);
  REQUIRE(eleven[0].trials);
  CHECK(*eleven[0].trials == 5);
  CHECK_FALSE(eleven[1].trials);  // an empty n_tasks
  auto nine = parse_experiments(kHeader + "abc\t0.7500\t3/5" + row_tail + "\n");
  REQUIRE(nine.size() == 1);
  CHECK(nine[0].passed == eleven[0].passed);
  CHECK(nine[0].trials == eleven[0].trials);
  // Without a header, the eleven columns' order.
  auto bare = parse_experiments("abc\t0.7500\t3" + row_tail + "\tjob-1\t5\n");
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].trials == eleven[0].trials);
}

TEST_CASE("the running best follows kept experiments only", "[bench][plot]") {
  auto best = running_best(parse_experiments(kResults));
  REQUIRE(best.size() == 5);
  CHECK(best[0] == 2.0);
  CHECK(best[1] == 2.0);  // a discarded 1 changes nothing
  CHECK(best[2] == 3.0);
  CHECK(best[3] == 3.0);  // crash
  CHECK(best[4] == 3.0);  // kept but lower
  auto none = running_best(parse_experiments(kHeader + "x\t0\t4/4\t\t\t\t\tdiscard\td\n"));
  CHECK_FALSE(none[0]);
}

TEST_CASE("the chart is well-formed SVG with one circle per row", "[bench][plot]") {
  std::string svg = render_experiments_svg(parse_experiments(kResults), "Runs & <results>");
  CHECK(xml_problem(svg) == "");
  CHECK_THAT(svg, Catch::StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(count(svg, "<circle ") == 5);
  CHECK(count(svg, "<circle class=\"kept\"") == 3);
  CHECK(count(svg, "<circle class=\"discarded\"") == 1);
  CHECK(count(svg, "<circle class=\"crash\"") == 1);
  CHECK(count(svg, "<path class=\"best\"") == 1);
  CHECK_THAT(svg, Catch::Contains("<title>Runs &amp; &lt;results&gt;</title>"));
  CHECK_THAT(svg, Catch::Contains("add a &lt;plan&gt; &amp; &quot;split&quot; stage"));
  CHECK_THAT(svg, Catch::Contains(">running best (kept)</text>"));
  CHECK_THAT(svg, Catch::Contains(">kept</text>") && Catch::Contains(">discarded</text>") &&
                      Catch::Contains(">crash</text>"));
  CHECK_THAT(svg, Catch::Contains(">experiment (results.tsv row)</text>"));
  CHECK_THAT(svg, Catch::Contains(">passed (tasks solved)</text>"));
  // y ticks up to the number of trials, x ticks for each experiment
  CHECK_THAT(svg, Catch::Contains(">4</text>"));
  CHECK_THAT(svg, Catch::Contains(">5</text>"));
}

TEST_CASE("an empty log and a long one still draw well-formed charts", "[bench][plot]") {
  std::string empty = render_experiments_svg(parse_experiments(kHeader));
  CHECK(xml_problem(empty) == "");
  CHECK(count(empty, "<circle ") == 0);
  CHECK_THAT(empty, Catch::Contains("no experiments recorded yet"));

  std::string many = kHeader;
  for (int i = 0; i < 120; ++i) {
    many += "c" + std::to_string(i) + "\t0\t" + std::to_string(i % 17) + "/20\t\t\tp\t0\t" +
            (i % 3 ? "discard" : "keep") + "\tcontrol \x01 chars & tabs\n";
  }
  std::string svg = render_experiments_svg(parse_experiments(many));
  CHECK(xml_problem(svg) == "");
  CHECK(count(svg, "<circle ") == 120);
  CHECK(svg.find('\x01') == std::string::npos);
}

TEST_CASE("the well-formedness check itself catches broken XML", "[bench][plot]") {
  CHECK(xml_problem("<a><b></a>") != "");
  CHECK(xml_problem("<a x=1/>") != "");
  CHECK(xml_problem("<a>&</a>") != "");
  CHECK(xml_problem("<a/><b/>") != "");
  CHECK(xml_problem("<a x=\"1\" x=\"2\"/>") != "");
  CHECK(xml_problem("<a>") != "");
  CHECK(xml_problem("<?xml version=\"1.0\"?>\n<a x='&amp;'>t &#233; &#x20;<b/></a>\n") == "");
}
