#include "autoswarm/llm/stream_assembler.h"

namespace autoswarm::llm {
namespace {

void append_text(std::string& out, const json& delta, const char* key) {
  auto it = delta.find(key);
  if (it != delta.end() && it->is_string()) out += it->get_ref<const std::string&>();
}

}  // namespace

void ToolCallAssembler::add(const json& delta) {
  if (!delta.is_object()) return;
  auto idx = delta.find("index");
  int64_t index = idx != delta.end() && idx->is_number_integer() ? idx->get<int64_t>() : last_index_;
  std::string id;
  if (auto it = delta.find("id"); it != delta.end() && it->is_string()) id = it->get<std::string>();
  // Some Ollama versions number each whole call in its own chunk from 0 again: a new id at
  // an index already taken by another call is a new call, not a continuation.
  if (auto existing = calls_.find(index);
      existing != calls_.end() && !id.empty() && !existing->second.id.empty() && existing->second.id != id) {
    index = calls_.rbegin()->first + 1;
  }
  last_index_ = index;
  ToolCall& call = calls_[index];
  if (!id.empty()) call.id = id;
  auto fn = delta.find("function");
  if (fn == delta.end() || !fn->is_object()) return;
  if (auto name = fn->find("name"); name != fn->end() && name->is_string()) {
    // Names arrive whole in the first delta; some servers repeat them — never double them.
    const auto& n = name->get_ref<const std::string&>();
    if (call.name != n) call.name += n;
  }
  if (auto args = fn->find("arguments"); args != fn->end()) {
    if (args->is_string()) call.arguments += args->get_ref<const std::string&>();
    else if (args->is_object()) call.arguments += args->dump();
  }
}

std::vector<ToolCall> ToolCallAssembler::finish() const {
  std::vector<ToolCall> out;
  out.reserve(calls_.size());
  for (const auto& [index, call] : calls_) {
    ToolCall c = call;
    parse_tool_arguments(c);
    out.push_back(std::move(c));
  }
  return out;
}

void StreamAssembler::add(const json& chunk) {
  if (!chunk.is_object()) return;
  if (reply_.id.empty() && chunk.contains("id") && chunk["id"].is_string()) reply_.id = chunk["id"];
  if (reply_.model.empty() && chunk.contains("model") && chunk["model"].is_string()) {
    reply_.model = chunk["model"];
  }
  if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    reply_.usage = Usage::from_json(*usage);
  }
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return;
  for (const auto& choice : *choices) {
    // n > 1 is not used; keep the first choice.
    if (auto ci = choice.find("index"); ci != choice.end() && ci->is_number_integer() && *ci != 0) continue;
    if (auto fr = choice.find("finish_reason"); fr != choice.end() && fr->is_string()) {
      reply_.finish_reason = fr->get<std::string>();
    }
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) continue;
    append_text(reply_.content, *delta, "content");
    append_text(reply_.reasoning_content, *delta, "reasoning_content");
    append_text(reply_.reasoning_content, *delta, "reasoning");
    if (auto tcs = delta->find("tool_calls"); tcs != delta->end() && tcs->is_array()) {
      for (const auto& tc : *tcs) tool_calls_.add(tc);
    }
  }
}

ChatResponse StreamAssembler::result() const {
  ChatResponse r = reply_;
  r.tool_calls = tool_calls_.finish();
  return r;
}

}  // namespace autoswarm::llm
