#include "autoswarm/util/utc_time.h"

#include <catch2/catch.hpp>

using namespace std::chrono;
using autoswarm::util::parse_utc_timestamp;
using autoswarm::util::short_age;
using autoswarm::util::utc_timestamp;

TEST_CASE("UTC timestamps round-trip and read the conversation log's form", "[util]") {
  const auto t = sys_days{2026y / November / 29} + 14h + 3min + 11s;
  CHECK(utc_timestamp(t) == "2026-11-29T14:03:11Z");
  CHECK(parse_utc_timestamp("2026-11-29T14:03:11Z") == t);
  CHECK(parse_utc_timestamp("2026-11-29T14:03:11.123Z") == t);
  CHECK(parse_utc_timestamp("2026-11-29T14:03:11+00:00") == t);
  CHECK_FALSE(parse_utc_timestamp("yesterday"));
  CHECK_FALSE(parse_utc_timestamp("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_utc_timestamp("2026-11-29T14:03:11+02:00"));
}

TEST_CASE("millisecond timestamps keep the milliseconds and read back", "[util]") {
  const auto t = sys_days{2026y / November / 29} + 14h + 3min + 11s + 7ms;
  CHECK(autoswarm::util::utc_timestamp_ms(t) == "2026-11-29T14:03:11.007Z");
  CHECK(autoswarm::util::utc_timestamp_ms(t + 993ms) == "2026-11-29T14:03:12.000Z");
  CHECK(parse_utc_timestamp(autoswarm::util::utc_timestamp_ms(t)) == t - 7ms);
}

TEST_CASE("ages are short", "[util]") {
  CHECK(short_age(30s) == "now");
  CHECK(short_age(12min) == "12m");
  CHECK(short_age(5h) == "5h");
  CHECK(short_age(hours(24 * 3)) == "3d");
  CHECK(short_age(hours(24 * 7 * 3)) == "3w");
  CHECK(short_age(hours(24 * 800)) == "2y");
}
