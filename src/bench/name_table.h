// The names of a bench enum in one table: each value with the one string that files, flags and
// logs spell it as, read both ways. Private to src/bench; each enum's header declares its
// to_string and parse functions, and its .cpp holds the table.
//
//   constexpr NameEntry<AgentKind> kAgentKindNames[] = {{AgentKind::kPipeline, "pipeline"}, …};
//   std::string to_string(AgentKind kind) { return std::string(name_in(kAgentKindNames, kind)); }
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace autoswarm::bench {

template <typename Enum>
using NameEntry = std::pair<Enum, std::string_view>;

// The name of `value`; "" for a value the table lacks (each enum's test reads every value back).
template <typename Enum, size_t N>
constexpr std::string_view name_in(const NameEntry<Enum> (&table)[N], Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return {};
}

// The value spelt `name` exactly; nullopt for any other text.
template <typename Enum, size_t N>
constexpr std::optional<Enum> value_in(const NameEntry<Enum> (&table)[N], std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace autoswarm::bench
