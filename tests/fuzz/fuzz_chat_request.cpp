// The proxy's request path without a network (proxy/proxy_server.h): any body is either a 400
// message or a request that skills are injected into and that serializes for the upstream and
// the conversation log, as ProxyServer does with it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "autoswarm/proxy/proxy_server.h"

using autoswarm::skills::IndexedSkillBook;
using autoswarm::skills::SkillBook;

namespace {

const IndexedSkillBook& skill_book() {
  static const IndexedSkillBook book(SkillBook::parse(
      "version: 1\n"
      "skills:\n"
      "  - id: sk-000001\n"
      "    text: \"When the user asks for a shell one-liner, give the command first.\"\n"
      "    created: 2026-11-29T14:03:11Z\n"
      "  - id: sk-000002\n"
      "    text: \"Answer questions about Python with a runnable example.\"\n"
      "    created: 2026-11-29T14:05:00Z\n",
      "fuzz skills.yaml"));
  return book;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string problem;
  std::optional<nlohmann::json> body = autoswarm::proxy::read_chat_request(text, &problem);
  if (!body) {
    if (problem.empty()) std::abort();  // a refusal must say why
    return 0;
  }
  // A small budget, so that which skills fit depends on the query.
  autoswarm::skills::InjectionLimits limits;
  limits.budget_tokens = 40;
  (void)autoswarm::proxy::inject_skills(*body, skill_book(), limits);
  (void)body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
