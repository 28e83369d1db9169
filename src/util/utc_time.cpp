#include "autoswarm/util/utc_time.h"

#include <cstdio>
#include <ctime>

namespace autoswarm::util {

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string utc_timestamp_ms(std::chrono::system_clock::time_point t) {
  std::string second = utc_timestamp(std::chrono::time_point_cast<std::chrono::seconds>(t));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
  second.pop_back();  // the "Z"
  return second + millis;
}

std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(std::string_view text) {
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
      used != 19) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  if (!(rest == "Z" || rest == "+00:00" || rest.empty())) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
}

std::string short_age(std::chrono::system_clock::duration age) {
  using namespace std::chrono;
  const auto s = duration_cast<seconds>(age).count();
  if (s < 60) return "now";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  if (s < 14 * 86400) return std::to_string(s / 86400) + "d";
  if (s < 365 * 86400) return std::to_string(s / (7 * 86400)) + "w";
  return std::to_string(s / (365 * 86400)) + "y";
}

}  // namespace autoswarm::util
