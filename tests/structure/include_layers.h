// The layering check: every `#include "..."` in src/ and include/autoswarm/ must point to the
// file's own module or to one the table in docs/layers.txt allows it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace autoswarm::structure {

// docs/layers.txt: for each module, the modules its files may include.
class LayerTable {
 public:
  // Lines "<module>: <module> <module> ..."; '#' starts a comment. Throws std::invalid_argument
  // naming the line for a line without ':', a module listed twice, or an allowed module that
  // has no line of its own.
  static LayerTable parse(std::string_view text);

  // The longest listed module that contains `path` ("bench/agent/agent_loop.cpp" ->
  // "bench/agent"), or for a file with no folder, its stem ("version.h" -> "version");
  // nothing when no listed module contains it.
  std::optional<std::string> module_of(std::string_view path) const;
  // `from` may include `to` (always true for from == to).
  bool allows(const std::string& from, const std::string& to) const;

 private:
  std::map<std::string, std::set<std::string>> allowed_;
};

struct IncludeViolation {
  std::string file;     // relative to the source root: "src/llm/client.cpp"
  int line = 0;
  std::string include;  // as written: "autoswarm/proxy/proxy_server.h"
  std::string reason;   // "llm may not include proxy"

  // "src/llm/client.cpp:12: #include "autoswarm/proxy/proxy_server.h": llm may not include proxy";
  // "<file>: <reason>" for a file in no module (include empty).
  std::string message() const;
};

// Reads every .h and .cpp under root/src and root/include/autoswarm. Includes of
// "autoswarm/..." name a file under include/autoswarm/; other quoted includes are relative to
// the including file. A file in no listed module is a violation too.
std::vector<IncludeViolation> check_includes(const std::filesystem::path& root, const LayerTable& table);

}  // namespace autoswarm::structure
