// Chat completion chunks as the Responses API's event stream. Each kind of delta becomes its
// own output item — reasoning, a message, one function call per tool_calls index — opened with
// output_item.added the first time it appears and closed with its .done events (the full text
// or arguments) when something else takes over or the stream ends. The stream always ends with
// one terminal event carrying the whole Response: clients such as Codex take the reply from
// it, and treat a stream without one as broken.
#include <map>
#include <vector>

#include "responses_parts.h"

namespace autoswarm::client_api::responses {
namespace {

enum class ItemKind { kReasoning, kMessage, kFunctionCall };

struct StreamItem {
  StreamItem(ItemKind item_kind, std::string item_id) : kind(item_kind), id(std::move(item_id)) {}

  ItemKind kind;
  std::string id;
  std::string text;  // the reasoning or message text, or the call's arguments, so far
  std::string call_id, name;
  bool open = true;
  ResponseStatus status = ResponseStatus::kInProgress;  // a message's or call's, once closed
};

class ResponsesStream : public StreamTranslator {
 public:
  explicit ResponsesStream(ReplyContext context) : context_(std::move(context)) {}

  std::string on_chunk(const json& chunk) override;
  std::string on_finish(const llm::ChatResponse& reply) override;
  std::string on_error(int status, const std::string& message, const std::string& type,
                       const llm::ChatResponse& partial) override;
  bool ended() const override { return phase_ == Phase::kEnded; }

 private:
  enum class Phase { kNotStarted, kStreaming, kEnded };

  // Appends one SSE event: the payload with its `type` and the next sequence_number.
  void emit(std::string& out, const char* type, json payload);
  // response.created and response.in_progress, before anything else.
  void start(std::string& out);
  void add_text(std::string& out, ItemKind kind, const std::string& delta);
  void add_tool_call_delta(std::string& out, const json& delta);
  size_t open_item(std::string& out, StreamItem item);
  void close_item(std::string& out, size_t index, ResponseStatus status);
  void close_open_text_items(std::string& out);
  json item_json(const StreamItem& item) const;
  json output_json() const;

  ReplyContext context_;
  Phase phase_ = Phase::kNotStarted;
  int64_t sequence_ = 0;
  std::vector<StreamItem> items_;  // by output_index
  std::optional<size_t> open_reasoning_, open_message_;
  std::map<int64_t, size_t> tool_items_;  // tool_calls[].index -> output_index of its call
  int64_t last_tool_index_ = 0;
  std::string finish_reason_;
  llm::Usage usage_;  // from a usage chunk, in case the final reply has none
  size_t kept_bytes_ = 0;  // the items' text and a share per item: what the .done events repeat
};

// What an item costs beyond its text (ids, name, its place in the maps).
constexpr size_t kItemOverheadBytes = 256;

const std::string* stream_string_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

void ResponsesStream::emit(std::string& out, const char* type, json payload) {
  payload["type"] = type;
  payload["sequence_number"] = sequence_++;
  out.append("event: ").append(type).append("\ndata: ").append(dump_json(payload)).append("\n\n");
}

void ResponsesStream::start(std::string& out) {
  if (phase_ != Phase::kNotStarted) return;
  phase_ = Phase::kStreaming;
  const json response = response_object(context_, ResponseStatus::kInProgress, json::array(), nullptr, nullptr);
  emit(out, "response.created", {{"response", response}});
  emit(out, "response.in_progress", {{"response", response}});
}

size_t ResponsesStream::open_item(std::string& out, StreamItem item) {
  const size_t index = items_.size();
  json added;
  switch (item.kind) {
    case ItemKind::kReasoning:
      added = {{"type", "reasoning"}, {"id", item.id}, {"summary", json::array()}, {"content", json::array()}};
      break;
    case ItemKind::kMessage:
      added = {{"type", "message"}, {"id", item.id}, {"status", "in_progress"},
               {"role", "assistant"}, {"content", json::array()}};
      break;
    case ItemKind::kFunctionCall:
      added = function_call_item(item.id, item.call_id, item.name, "", ResponseStatus::kInProgress);
      break;
  }
  emit(out, "response.output_item.added", {{"output_index", index}, {"item", std::move(added)}});
  if (item.kind == ItemKind::kMessage) {
    emit(out, "response.content_part.added",
         {{"item_id", item.id}, {"output_index", index}, {"content_index", 0},
          {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}});
  } else if (item.kind == ItemKind::kReasoning) {
    emit(out, "response.content_part.added",
         {{"item_id", item.id}, {"output_index", index}, {"content_index", 0},
          {"part", {{"type", "reasoning_text"}, {"text", ""}}}});
  }
  items_.push_back(std::move(item));
  return index;
}

void ResponsesStream::close_item(std::string& out, size_t index, ResponseStatus status) {
  StreamItem& item = items_[index];
  if (!item.open) return;
  item.open = false;
  item.status = status;
  const json where = {{"item_id", item.id}, {"output_index", index}};
  if (item.kind == ItemKind::kMessage) {
    json done = where;
    done["content_index"] = 0;
    json part_done = done;
    done["text"] = item.text;
    done["logprobs"] = json::array();
    emit(out, "response.output_text.done", std::move(done));
    part_done["part"] = {{"type", "output_text"}, {"text", item.text}, {"annotations", json::array()}};
    emit(out, "response.content_part.done", std::move(part_done));
    open_message_.reset();
  } else if (item.kind == ItemKind::kReasoning) {
    json done = where;
    done["content_index"] = 0;
    json part_done = done;
    done["text"] = item.text;
    emit(out, "response.reasoning_text.done", std::move(done));
    part_done["part"] = {{"type", "reasoning_text"}, {"text", item.text}};
    emit(out, "response.content_part.done", std::move(part_done));
    open_reasoning_.reset();
  } else {
    json done = where;
    done["arguments"] = item.text;
    emit(out, "response.function_call_arguments.done", std::move(done));
  }
  emit(out, "response.output_item.done", {{"output_index", index}, {"item", item_json(item)}});
}

void ResponsesStream::close_open_text_items(std::string& out) {
  if (open_reasoning_) close_item(out, *open_reasoning_, ResponseStatus::kCompleted);
  if (open_message_) close_item(out, *open_message_, ResponseStatus::kCompleted);
}

void ResponsesStream::add_text(std::string& out, ItemKind kind, const std::string& delta) {
  std::optional<size_t>& open = kind == ItemKind::kReasoning ? open_reasoning_ : open_message_;
  std::optional<size_t>& other = kind == ItemKind::kReasoning ? open_message_ : open_reasoning_;
  if (other) close_item(out, *other, ResponseStatus::kCompleted);
  if (!open) {
    StreamItem item(kind, item_id(kind == ItemKind::kReasoning ? "rs_" : "msg_", context_, items_.size()));
    open = open_item(out, std::move(item));
  }
  StreamItem& item = items_[*open];
  item.text += delta;
  kept_bytes_ += delta.size();
  json event = {{"item_id", item.id}, {"output_index", *open}, {"content_index", 0}, {"delta", delta}};
  if (kind == ItemKind::kMessage) {
    event["logprobs"] = json::array();
    emit(out, "response.output_text.delta", std::move(event));
  } else {
    emit(out, "response.reasoning_text.delta", std::move(event));
  }
}

// One tool_calls[] delta: {index, id?, function:{name?, arguments?}}. Calls are keyed by index
// as llm::ToolCallAssembler keys them, so the items match the reply the proxy assembles.
void ResponsesStream::add_tool_call_delta(std::string& out, const json& delta) {
  if (!delta.is_object()) return;
  auto idx = delta.find("index");
  int64_t index = idx != delta.end() && idx->is_number_integer() ? idx->get<int64_t>() : last_tool_index_;
  const std::string* id = stream_string_at(delta, "id");
  auto known = tool_items_.find(index);
  // Some Ollama versions number each whole call from 0 again: a new id at a taken index is a
  // new call.
  if (known != tool_items_.end() && id != nullptr && !id->empty() && !items_[known->second].call_id.empty() &&
      items_[known->second].call_id != *id) {
    index = tool_items_.rbegin()->first + 1;
    known = tool_items_.end();
  }
  last_tool_index_ = index;
  const json* function = nullptr;
  if (auto fn = delta.find("function"); fn != delta.end() && fn->is_object()) function = &*fn;
  const std::string* name = function ? stream_string_at(*function, "name") : nullptr;
  if (known == tool_items_.end()) {
    close_open_text_items(out);
    const size_t output_index = items_.size();
    StreamItem item(ItemKind::kFunctionCall, item_id("fc_", context_, output_index));
    item.call_id = id != nullptr && !id->empty() ? *id : item_id("call_", context_, output_index);
    if (name != nullptr) item.name = *name;
    known = tool_items_.emplace(index, open_item(out, std::move(item))).first;
    kept_bytes_ += kItemOverheadBytes;
  } else if (name != nullptr && items_[known->second].name != *name) {
    items_[known->second].name += *name;  // names arrive whole; some servers repeat them
  }
  StreamItem& item = items_[known->second];
  if (!item.open || function == nullptr) return;
  std::string fragment;
  if (auto args = function->find("arguments"); args != function->end()) {
    if (args->is_string()) fragment = args->get<std::string>();
    else if (args->is_object()) fragment = dump_json(*args);
  }
  if (fragment.empty()) return;
  item.text += fragment;
  kept_bytes_ += fragment.size();
  emit(out, "response.function_call_arguments.delta",
       {{"item_id", item.id}, {"output_index", known->second}, {"delta", fragment}});
}

std::string ResponsesStream::on_chunk(const json& chunk) {
  std::string out;
  if (phase_ == Phase::kEnded || !chunk.is_object()) return out;
  start(out);
  if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    usage_ = llm::Usage::from_json(*usage);
  }
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) return out;
  const json& choice = (*choices)[0];
  if (const std::string* reason = stream_string_at(choice, "finish_reason")) finish_reason_ = *reason;
  auto delta_it = choice.find("delta");
  if (delta_it == choice.end() || !delta_it->is_object()) return out;
  const json& delta = *delta_it;
  const std::string* reasoning = stream_string_at(delta, "reasoning_content");
  if (reasoning == nullptr || reasoning->empty()) reasoning = stream_string_at(delta, "reasoning");
  if (reasoning != nullptr && !reasoning->empty()) add_text(out, ItemKind::kReasoning, *reasoning);
  if (const std::string* content = stream_string_at(delta, "content"); content != nullptr && !content->empty()) {
    add_text(out, ItemKind::kMessage, *content);
  }
  if (auto calls = delta.find("tool_calls"); calls != delta.end() && calls->is_array()) {
    for (const json& call : *calls) add_tool_call_delta(out, call);
  }
  // The .done events and response.completed repeat everything streamed, so it is kept; past
  // the bound the stream fails as a reply too large would, instead of memory growing with it.
  if (kept_bytes_ > context_.max_kept_bytes) {
    out += on_error(502, "the upstream's reply is larger than " + std::to_string(context_.max_kept_bytes) +
                             " bytes (raise the limit with --max-upstream-reply)",
                    "upstream_reply_too_large", llm::ChatResponse{});
  }
  return out;
}

json ResponsesStream::item_json(const StreamItem& item) const {
  // An item still open when the stream failed was cut short.
  const ResponseStatus status = item.open ? ResponseStatus::kIncomplete : item.status;
  switch (item.kind) {
    case ItemKind::kReasoning: return reasoning_item(item.id, item.text);
    case ItemKind::kMessage: return message_item(item.id, item.text, status);
    case ItemKind::kFunctionCall: return function_call_item(item.id, item.call_id, item.name, item.text, status);
  }
  return nullptr;
}

json ResponsesStream::output_json() const {
  json output = json::array();
  for (const StreamItem& item : items_) output.push_back(item_json(item));
  return output;
}

std::string ResponsesStream::on_finish(const llm::ChatResponse& reply) {
  std::string out;
  if (phase_ == Phase::kEnded) return out;
  start(out);
  std::string incomplete_reason;
  const ResponseStatus status =
      status_for_finish(reply.finish_reason.empty() ? finish_reason_ : reply.finish_reason, &incomplete_reason);
  for (size_t i = 0; i < items_.size(); ++i) {
    // A message cut by max_output_tokens is itself incomplete; a call that arrived whole is not.
    const bool cut = items_[i].kind == ItemKind::kMessage && status == ResponseStatus::kIncomplete;
    close_item(out, i, cut ? ResponseStatus::kIncomplete : ResponseStatus::kCompleted);
  }
  const llm::Usage& usage = reply.usage.reported ? reply.usage : usage_;
  json response = response_object(context_, status, output_json(), usage_object(usage), nullptr, incomplete_reason);
  emit(out, status == ResponseStatus::kIncomplete ? "response.incomplete" : "response.completed",
       {{"response", std::move(response)}});
  phase_ = Phase::kEnded;
  return out;
}

// The failed response shows the items as far as they came, the open ones as incomplete: no
// .done events follow, since nothing about them is done.
std::string ResponsesStream::on_error(int /*status*/, const std::string& message, const std::string& type,
                                      const llm::ChatResponse& partial) {
  std::string out;
  if (phase_ == Phase::kEnded) return out;
  start(out);
  const llm::Usage& usage = partial.usage.reported ? partial.usage : usage_;
  json error = {{"code", type.empty() ? "server_error" : type}, {"message", message}};
  json response = response_object(context_, ResponseStatus::kFailed, output_json(),
                                  usage.reported ? usage_object(usage) : json(nullptr), std::move(error));
  emit(out, "response.failed", {{"response", std::move(response)}});
  phase_ = Phase::kEnded;
  return out;
}

}  // namespace

std::unique_ptr<StreamTranslator> make_stream_translator(const ReplyContext& context) {
  return std::make_unique<ResponsesStream>(context);
}

}  // namespace autoswarm::client_api::responses
