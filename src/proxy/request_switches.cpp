#include "request_switches.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "autoswarm/util/text.h"

namespace autoswarm::proxy {
namespace {

constexpr std::array<std::string_view, 5> kOff = {"off", "false", "0", "no", "none"};
constexpr std::array<std::string_view, 4> kOn = {"on", "true", "1", "yes"};

bool is_one_of(std::string_view value, const auto& spellings) {
  return std::find(spellings.begin(), spellings.end(), value) != spellings.end();
}

// The header's value as on (true) or off (false); `absent` without the header; nothing, with
// the reason in *problem, for a value it does not take.
std::optional<bool> read_switch(const httplib::Request& req, const char* header, bool absent,
                                const char* what_on_does, std::string* problem) {
  if (!req.has_header(header)) return absent;
  const std::string value = util::ascii_lower(util::trim(req.get_header_value(header)));
  if (is_one_of(value, kOn)) return true;
  if (is_one_of(value, kOff)) return false;
  *problem = std::string("header ") + header + ": '" + req.get_header_value(header) +
             "' is not a value it takes; send 1, true, yes or on " + what_on_does +
             " (0, false, no, off or none to turn it off)";
  return std::nullopt;
}

}  // namespace

std::optional<RequestSwitches> read_switches(const httplib::Request& req, std::string* problem) {
  std::optional<bool> skills = read_switch(req, "X-Autoswarm-Skills", true, "to inject skills", problem);
  if (!skills) return std::nullopt;
  std::optional<bool> no_log =
      read_switch(req, "X-Autoswarm-No-Log", false, "to keep this exchange out of the conversation log", problem);
  if (!no_log) return std::nullopt;
  std::optional<bool> internal =
      read_switch(req, "X-Autoswarm-Internal", false, "for a call AutoSwarm itself makes (no skills, no log)", problem);
  if (!internal) return std::nullopt;
  // AutoSwarm's own calls (reflect's lesson and prune calls, bench's agents and judges) reach
  // a proxy when a user points them at one: learning from its own prompts would be learning
  // from nothing, and skills in a judge's prompt would bias the judgement.
  if (*internal) return RequestSwitches{.skills = false, .log = false};
  return RequestSwitches{.skills = *skills, .log = !*no_log};
}

}  // namespace autoswarm::proxy
