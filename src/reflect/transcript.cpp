#include "autoswarm/reflect/transcript.h"

#include <algorithm>

#include "autoswarm/llm/message_content.h"
#include "autoswarm/util/text.h"

namespace autoswarm::reflect {
namespace {

using nlohmann::json;

// "(tool call) name {arguments}" lines for an assistant message's or the reply's tool calls.
std::string tool_call_lines(const json& calls) {
  std::string out;
  if (!calls.is_array()) return out;
  for (const auto& call : calls) {
    if (!call.is_object()) continue;
    const json fn = call.value("function", json::object());
    std::string name = fn.is_object() ? fn.value("name", "") : "";
    std::string args;
    if (fn.is_object() && fn.contains("arguments")) {
      args = fn["arguments"].is_string() ? fn["arguments"].get<std::string>() : fn["arguments"].dump();
    }
    if (!out.empty()) out += "\n";
    out += "(tool call) " + name + " " + args;
  }
  return out;
}

void add_block(std::string& out, const std::string& label, const std::string& body, size_t cap) {
  if (!out.empty()) out += "\n\n";
  out += "[" + label + "]\n";
  out += util::cut_middle(body.empty() ? "(empty)" : body, cap);
}

}  // namespace

std::string render_transcript(const conversations::Conversation& c, size_t max_chars, std::string_view reply_label) {
  const size_t system_cap = std::max<size_t>(max_chars / 4, 64);
  const size_t message_cap = std::max<size_t>(max_chars / 2, 64);
  std::string out;
  for (const auto& m : c.messages) {
    if (!m.is_object()) continue;
    const std::string role = m.value("role", "unknown");
    std::string body = m.contains("content") ? llm::content_text(m["content"], llm::OtherParts::kNamed) : "";
    if (role == "assistant") {
      std::string calls = tool_call_lines(m.value("tool_calls", json::array()));
      if (!calls.empty()) body += (body.empty() ? "" : "\n") + calls;
      add_block(out, "assistant", body, message_cap);
    } else if (role == "tool") {
      add_block(out, "tool result", body, message_cap);
    } else if (role == "system" || role == "developer") {
      add_block(out, "system prompt", body, system_cap);
    } else {
      add_block(out, role, body, message_cap);
    }
  }
  std::string reply = c.reply_content;
  std::string calls = tool_call_lines(c.reply_tool_calls);
  if (!calls.empty()) reply += (reply.empty() ? "" : "\n") + calls;
  add_block(out, std::string(reply_label), reply, message_cap);
  return util::cut_middle(out, max_chars);
}

}  // namespace autoswarm::reflect
