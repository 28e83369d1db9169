#include "autoswarm/llm/stream_assembler.h"

#include "autoswarm/util/text.h"

namespace autoswarm::llm {
namespace {

const std::string* string_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// Appends the part of `text` that fits `*left` (all of it without a budget), on a UTF-8
// boundary, and counts the rest in `*cut`.
void append_within(std::string& out, std::string_view text, size_t* left, size_t* cut) {
  if (left == nullptr) {
    out += text;
    return;
  }
  std::string_view kept = util::utf8_head(text, *left);
  out += kept;
  *left -= kept.size();
  *cut += text.size() - kept.size();
  if (kept.size() < text.size()) *left = 0;  // never a later, smaller piece after a cut
}

}  // namespace

void ToolCallAssembler::add(const json& delta, size_t* text_left, size_t* cut_bytes) {
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
    if (args->is_string()) append_within(call.arguments, args->get_ref<const std::string&>(), text_left, cut_bytes);
    else if (args->is_object()) append_within(call.arguments, args->dump(), text_left, cut_bytes);
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
    if (const std::string* t = string_at(*delta, "content")) append_bounded(reply_.content, *t);
    if (const std::string* t = string_at(*delta, "reasoning_content")) append_bounded(reply_.reasoning_content, *t);
    if (const std::string* t = string_at(*delta, "reasoning")) append_bounded(reply_.reasoning_content, *t);
    if (auto tcs = delta->find("tool_calls"); tcs != delta->end() && tcs->is_array()) {
      for (const auto& tc : *tcs) tool_calls_.add(tc, &text_left_, &reply_.cut_bytes);
    }
  }
}

void StreamAssembler::append_bounded(std::string& out, std::string_view text) {
  append_within(out, text, &text_left_, &reply_.cut_bytes);
}

ChatResponse StreamAssembler::result() const {
  ChatResponse r = reply_;
  r.tool_calls = tool_calls_.finish();
  return r;
}

}  // namespace autoswarm::llm
