// Native Responses, Messages and Ollama replies (what an upstream serving those APIs itself
// answers), whole and streamed, as the chat reply the conversation log keeps.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/client_api/native_reply.h"

using autoswarm::client_api::NativeStreamReader;
using autoswarm::client_api::Protocol;
using autoswarm::client_api::read_native_reply;
using autoswarm::llm::ChatResponse;
using nlohmann::json;

namespace {

std::string event(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

// Feeds `stream` to a reader in pieces of `piece` bytes, as a socket might split it.
ChatResponse read_stream(Protocol protocol, const std::string& stream, size_t piece, NativeStreamReader* out = nullptr,
                         size_t max_kept_bytes = SIZE_MAX) {
  NativeStreamReader reader(protocol, max_kept_bytes);
  for (size_t i = 0; i < stream.size(); i += piece) reader.feed(std::string_view(stream).substr(i, piece));
  reader.finish();
  if (out) *out = reader;
  return reader.reply();
}

const char* kResponse = R"({
  "id":"resp_1","object":"response","status":"completed","model":"qwen3",
  "output":[
    {"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"Think."}]},
    {"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"Listing.","annotations":[]}]},
    {"type":"function_call","id":"fc_1","call_id":"call_7","name":"run_shell","arguments":"{\"command\":\"ls\"}"}],
  "usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":4},"output_tokens":12,"total_tokens":48}})";

const char* kMessage = R"({
  "id":"msg_1","type":"message","role":"assistant","model":"qwen3",
  "content":[{"type":"thinking","thinking":"Think."},{"type":"text","text":"Listing."},
             {"type":"tool_use","id":"toolu_7","name":"run_shell","input":{"command":"ls"}}],
  "stop_reason":"tool_use","stop_sequence":null,
  "usage":{"input_tokens":30,"cache_read_input_tokens":4,"cache_creation_input_tokens":2,"output_tokens":12}})";

void check_listing_reply(const ChatResponse& r) {
  CHECK(r.id.size() > 0);
  CHECK(r.model == "qwen3");
  CHECK(r.content == "Listing.");
  CHECK(r.reasoning_content == "Think.");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].name == "run_shell");
  CHECK(r.tool_calls[0].arguments_ok());
  CHECK(r.tool_calls[0].parsed_arguments == json{{"command", "ls"}});
  CHECK(r.finish_reason == "tool_calls");
  CHECK(r.usage.reported);
  CHECK(r.usage.prompt_tokens == 36);
  CHECK(r.usage.completion_tokens == 12);
  CHECK(r.usage.total_tokens == 48);
  CHECK(r.usage.cached_tokens == 4);
  CHECK(r.cut_bytes == 0);
}

std::string responses_stream() {
  std::string s;
  s += event({{"type", "response.created"}, {"sequence_number", 0},
              {"response", {{"id", "resp_1"}, {"model", "qwen3"}, {"status", "in_progress"}, {"output", json::array()}}}});
  s += event({{"type", "response.output_item.added"}, {"output_index", 0},
              {"item", {{"type", "reasoning"}, {"id", "rs_1"}, {"summary", json::array()}}}});
  s += event({{"type", "response.reasoning_text.delta"}, {"output_index", 0}, {"delta", "Think."}});
  s += event({{"type", "response.output_item.added"}, {"output_index", 1},
              {"item", {{"type", "message"}, {"id", "msg_1"}, {"content", json::array()}}}});
  s += event({{"type", "response.output_text.delta"}, {"output_index", 1}, {"delta", "List"}});
  s += event({{"type", "response.output_text.delta"}, {"output_index", 1}, {"delta", "ing."}});
  s += event({{"type", "response.output_text.done"}, {"output_index", 1}, {"text", "Listing."}});
  s += event({{"type", "response.output_item.added"}, {"output_index", 2},
              {"item", {{"type", "function_call"}, {"id", "fc_1"}, {"call_id", "call_7"}, {"name", "run_shell"},
                        {"arguments", ""}}}});
  s += event({{"type", "response.function_call_arguments.delta"}, {"output_index", 2}, {"delta", "{\"command\":"}});
  s += event({{"type", "response.function_call_arguments.delta"}, {"output_index", 2}, {"delta", "\"ls\"}"}});
  s += event({{"type", "response.function_call_arguments.done"}, {"output_index", 2},
              {"arguments", "{\"command\":\"ls\"}"}});
  s += event({{"type", "response.completed"}, {"response", json::parse(kResponse)}});
  return s;
}

std::string messages_stream() {
  std::string s;
  s += event({{"type", "message_start"},
              {"message", {{"id", "msg_1"}, {"model", "qwen3"}, {"content", json::array()},
                           {"usage", {{"input_tokens", 30}, {"cache_read_input_tokens", 4}, {"output_tokens", 1}}}}}});
  s += event({{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "thinking"}, {"thinking", ""}}}});
  s += event({{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "thinking_delta"}, {"thinking", "Think."}}}});
  s += event({{"type", "content_block_stop"}, {"index", 0}});
  s += event({{"type", "content_block_start"}, {"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}});
  s += event({{"type", "ping"}});
  s += event({{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "List"}}}});
  s += event({{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "ing."}}}});
  s += event({{"type", "content_block_stop"}, {"index", 1}});
  s += event({{"type", "content_block_start"}, {"index", 2},
              {"content_block", {{"type", "tool_use"}, {"id", "toolu_7"}, {"name", "run_shell"}, {"input", json::object()}}}});
  s += event({{"type", "content_block_delta"}, {"index", 2},
              {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"command\":"}}}});
  s += event({{"type", "content_block_delta"}, {"index", 2},
              {"delta", {{"type", "input_json_delta"}, {"partial_json", "\"ls\"}"}}}});
  s += event({{"type", "content_block_stop"}, {"index", 2}});
  s += event({{"type", "message_delta"}, {"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}},
              {"usage", {{"output_tokens", 12}, {"cache_creation_input_tokens", 2}}}});
  s += event({{"type", "message_stop"}});
  return s;
}

}  // namespace

TEST_CASE("a native Response's output is read as text, reasoning, tool calls and usage", "[client_api][native_reply]") {
  const ChatResponse r = read_native_reply(Protocol::kResponses, json::parse(kResponse));
  check_listing_reply(r);
  CHECK(r.tool_calls[0].id == "call_7");
}

TEST_CASE("a native Message's content is read as text, thinking, tool calls and usage", "[client_api][native_reply]") {
  const ChatResponse r = read_native_reply(Protocol::kMessages, json::parse(kMessage));
  // Anthropic's input_tokens leaves out cache reads and writes; prompt_tokens counts them.
  check_listing_reply(r);
  CHECK(r.tool_calls[0].id == "toolu_7");
}

TEST_CASE("native finish reasons are chat completions' finish reasons", "[client_api][native_reply]") {
  auto response_finish = [](const json& fields) {
    json body = {{"output", json::array()}};
    body.update(fields);
    return read_native_reply(Protocol::kResponses, body).finish_reason;
  };
  CHECK(response_finish({{"status", "completed"}}) == "stop");
  CHECK(response_finish({{"status", "incomplete"}, {"incomplete_details", {{"reason", "max_output_tokens"}}}}) == "length");
  CHECK(response_finish({{"status", "incomplete"}, {"incomplete_details", {{"reason", "content_filter"}}}}) ==
        "content_filter");
  CHECK(response_finish({{"status", "failed"}}) == "");
  auto message_finish = [](const char* stop_reason) {
    return read_native_reply(Protocol::kMessages, {{"content", json::array()}, {"stop_reason", stop_reason}}).finish_reason;
  };
  CHECK(message_finish("end_turn") == "stop");
  CHECK(message_finish("stop_sequence") == "stop");
  CHECK(message_finish("max_tokens") == "length");
  CHECK(message_finish("tool_use") == "tool_calls");
  CHECK(message_finish("refusal") == "content_filter");
}

TEST_CASE("a native reply of the wrong shape is read as an empty reply, never thrown on", "[client_api][native_reply]") {
  for (Protocol protocol : {Protocol::kResponses, Protocol::kMessages, Protocol::kChat}) {
    for (const char* text : {R"("text")", "[1,2]", "null", R"({"output":5,"content":"x","usage":[]})",
                             R"({"output":[5,{"type":"message","content":7},{"type":"function_call","name":3}]})",
                             R"({"content":[null,{"type":"tool_use","input":"x"},{"type":"text","text":{}}]})",
                             R"({"usage":{"input_tokens":"12","output_tokens":1.5}})"}) {
      INFO(text);
      ChatResponse r;
      REQUIRE_NOTHROW(r = read_native_reply(protocol, json::parse(text)));
      CHECK(r.content.empty());
    }
  }
  // Invalid UTF-8 in the text is kept as it came: the log replaces it when it writes.
  json body = {{"content", json::array({{{"type", "text"}, {"text", "ok \xff"}}})}};
  CHECK(read_native_reply(Protocol::kMessages, body).content == "ok \xff");
}

TEST_CASE("a native reply keeps at most max_kept_bytes of text and counts the rest", "[client_api][native_reply]") {
  ChatResponse r = read_native_reply(Protocol::kMessages, json::parse(kMessage), 10);
  CHECK(r.reasoning_content == "Think.");
  CHECK(r.content == "List");  // 6 + 4 bytes
  CHECK(r.tool_calls.empty());  // no room left for a call
  CHECK(r.cut_bytes == 4 + 7 + 9);  // "ing.", the call's id and name
  // Text is cut on a character boundary.
  r = read_native_reply(Protocol::kMessages, {{"content", json::array({{{"type", "text"}, {"text", "aé"}}})}}, 2);
  CHECK(r.content == "a");
  CHECK(r.cut_bytes == 2);
}

TEST_CASE("a native Responses stream is read event by event, however its bytes are split", "[client_api][native_reply]") {
  for (size_t piece : {size_t(1), size_t(7), size_t(1 << 20)}) {
    INFO(piece);
    NativeStreamReader reader(Protocol::kResponses);
    const ChatResponse r = read_stream(Protocol::kResponses, responses_stream(), piece, &reader);
    check_listing_reply(r);
    CHECK(reader.ended());
    CHECK(reader.error().empty());
  }
}

TEST_CASE("a native Messages stream is read event by event, however its bytes are split", "[client_api][native_reply]") {
  for (size_t piece : {size_t(1), size_t(7), size_t(1 << 20)}) {
    INFO(piece);
    NativeStreamReader reader(Protocol::kMessages);
    const ChatResponse r = read_stream(Protocol::kMessages, messages_stream(), piece, &reader);
    check_listing_reply(r);  // usage from message_start, updated by message_delta
    CHECK(reader.ended());
  }
}

TEST_CASE("a native stream without its terminal event has no finish reason", "[client_api][native_reply]") {
  std::string stream = messages_stream();
  stream.resize(stream.find("event: message_delta"));
  NativeStreamReader reader(Protocol::kMessages);
  const ChatResponse r = read_stream(Protocol::kMessages, stream, 100, &reader);
  CHECK_FALSE(reader.ended());
  CHECK(r.content == "Listing.");
  CHECK(r.finish_reason.empty());
}

TEST_CASE("a native stream's error events are read as its error", "[client_api][native_reply]") {
  NativeStreamReader reader(Protocol::kMessages);
  read_stream(Protocol::kMessages,
              event({{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}}), 5, &reader);
  CHECK(reader.error() == "Overloaded");

  NativeStreamReader failed(Protocol::kResponses);
  const ChatResponse r = read_stream(
      Protocol::kResponses,
      event({{"type", "response.failed"},
             {"response", {{"status", "failed"}, {"error", {{"code", "server_error"}, {"message", "model crashed"}}}}}}),
      5, &failed);
  CHECK(failed.error() == "model crashed");
  CHECK(failed.ended());
  CHECK(r.finish_reason.empty());
}

TEST_CASE("a native Responses stream that sent no deltas is read from its finished items", "[client_api][native_reply]") {
  std::string s = event({{"type", "response.output_item.added"}, {"output_index", 0},
                         {"item", {{"type", "function_call"}, {"call_id", "c1"}, {"name", "f"}, {"arguments", ""}}}});
  s += event({{"type", "response.output_item.done"}, {"output_index", 0},
              {"item", {{"type", "function_call"}, {"call_id", "c1"}, {"name", "f"}, {"arguments", "{\"a\":1}"}}}});
  s += event({{"type", "response.completed"}, {"response", {{"status", "completed"}, {"output", json::array()}}}});
  ChatResponse r = read_stream(Protocol::kResponses, s, 3);
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].arguments == "{\"a\":1}");
  CHECK(r.finish_reason == "tool_calls");

  // Only the terminal event: the whole Response is in it.
  r = read_stream(Protocol::kResponses, event({{"type", "response.completed"}, {"response", json::parse(kResponse)}}), 9);
  check_listing_reply(r);
}

TEST_CASE("a native stream keeps at most max_kept_bytes, however many calls it opens", "[client_api][native_reply]") {
  std::string s;
  for (int i = 0; i < 1000; ++i) {
    s += event({{"type", "content_block_start"}, {"index", i},
                {"content_block", {{"type", "tool_use"}, {"id", "toolu_" + std::to_string(i)}, {"name", "f"}}}});
    s += event({{"type", "content_block_delta"}, {"index", i},
                {"delta", {{"type", "input_json_delta"}, {"partial_json", "{}"}}}});
  }
  const ChatResponse r = read_stream(Protocol::kMessages, s, 4096, nullptr, 4096);
  CHECK(r.tool_calls.size() < 20);
  CHECK(r.cut_bytes > 0);
}

TEST_CASE("what the Messages and Responses translators stream reads back as the reply they streamed", "[client_api][native_reply]") {
  using autoswarm::client_api::ClientApi;
  ChatResponse reply;
  reply.content = "Listing.";
  autoswarm::llm::ToolCall call;
  call.id = "call_9";
  call.name = "run_shell";
  call.arguments = R"({"command":"ls"})";
  reply.tool_calls.push_back(call);
  reply.finish_reason = "tool_calls";
  reply.usage.prompt_tokens = 20;
  reply.usage.completion_tokens = 5;
  reply.usage.total_tokens = 25;
  reply.usage.reported = true;
  const json chunks = json::parse(R"([
    {"choices":[{"index":0,"delta":{"role":"assistant","content":"List"}}]},
    {"choices":[{"index":0,"delta":{"content":"ing."}}]},
    {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"run_shell","arguments":"{\"command\":"}}]}}]},
    {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"ls\"}"}}]}}]},
    {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]},
    {"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}])");
  for (const ClientApi* api : {&autoswarm::client_api::responses_api(), &autoswarm::client_api::messages_api()}) {
    autoswarm::client_api::ReplyContext context;
    context.model = "qwen3";
    context.id = "x1";
    auto translator = api->stream_translator(context);
    std::string stream;
    for (const json& chunk : chunks) stream += translator->on_chunk(chunk);
    stream += translator->on_finish(reply);
    NativeStreamReader reader(api->protocol());
    const ChatResponse read = read_stream(api->protocol(), stream, 13, &reader);
    CHECK(reader.ended());
    CHECK(read.content == "Listing.");
    REQUIRE(read.tool_calls.size() == 1);
    CHECK(read.tool_calls[0].id == "call_9");
    CHECK(read.tool_calls[0].parsed_arguments == json{{"command", "ls"}});
    CHECK(read.finish_reason == "tool_calls");
    CHECK(read.usage.prompt_tokens == 20);
    CHECK(read.usage.completion_tokens == 5);
    // And the whole reply reads back the same.
    const ChatResponse whole = read_native_reply(api->protocol(), api->from_chat_reply(reply, context));
    CHECK(whole.content == "Listing.");
    CHECK(whole.tool_calls.size() == 1);
    CHECK(whole.finish_reason == "tool_calls");
  }
}

TEST_CASE("a native Ollama reply is read as text, thinking, tool calls and usage", "[client_api][native_reply]") {
  const json chat = json::parse(R"({"model":"qwen3:8b","created_at":"2026-12-04T10:00:00Z",
    "message":{"role":"assistant","content":"Listing.","thinking":"ls it",
               "tool_calls":[{"function":{"name":"run_shell","arguments":{"command":"ls"}}}]},
    "done":true,"done_reason":"stop","prompt_eval_count":20,"eval_count":5})");
  const ChatResponse r = read_native_reply(Protocol::kOllamaChat, chat);
  CHECK(r.model == "qwen3:8b");
  CHECK(r.content == "Listing.");
  CHECK(r.reasoning_content == "ls it");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].name == "run_shell");
  CHECK(r.tool_calls[0].parsed_arguments == json{{"command", "ls"}});
  CHECK(r.finish_reason == "tool_calls");  // Ollama says "stop"; chat completions says tool_calls
  CHECK(r.usage.reported);
  CHECK(r.usage.prompt_tokens == 20);
  CHECK(r.usage.completion_tokens == 5);

  const json generate = json::parse(R"({"model":"qwen3:8b","response":"Use ls.","done":true,
    "done_reason":"length","context":[1,2,3],"eval_count":64})");
  const ChatResponse g = read_native_reply(Protocol::kOllamaGenerate, generate);
  CHECK(g.content == "Use ls.");
  CHECK(g.finish_reason == "length");
  CHECK(g.usage.completion_tokens == 64);
  CHECK(read_native_reply(Protocol::kOllamaChat, json::parse(R"({"message":5,"done":"yes"})")).content.empty());
}

TEST_CASE("an Ollama NDJSON stream is read line by line, however its bytes are split", "[client_api][native_reply]") {
  const std::string stream =
      R"({"model":"m","message":{"role":"assistant","content":"Use "},"done":false})" "\n"
      R"({"model":"m","message":{"role":"assistant","content":"ls -la."},"done":false})" "\n"
      R"({"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"run_shell","arguments":{"command":"ls"}}}]},"done":false})" "\n"
      R"({"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":9,"eval_count":4})" "\n";
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}}) {
    NativeStreamReader reader(Protocol::kOllamaChat);
    const ChatResponse r = read_stream(Protocol::kOllamaChat, stream, piece, &reader);
    CHECK(reader.ended());
    CHECK(reader.error().empty());
    CHECK(r.content == "Use ls -la.");
    REQUIRE(r.tool_calls.size() == 1);
    CHECK(r.tool_calls[0].parsed_arguments == json{{"command", "ls"}});
    CHECK(r.finish_reason == "tool_calls");
    CHECK(r.usage.prompt_tokens == 9);
  }
  // Cut before its `done` line: no finish reason, not ended; a last line without its newline
  // still counts.
  NativeStreamReader cut(Protocol::kOllamaGenerate);
  const ChatResponse c = read_stream(Protocol::kOllamaGenerate, R"({"response":"Use"})" "\n" R"({"response":" ls"})", 5, &cut);
  CHECK_FALSE(cut.ended());
  CHECK(c.content == "Use ls");
  CHECK(c.finish_reason.empty());
  // Ollama's mid-stream error is one {"error"} line.
  NativeStreamReader failed(Protocol::kOllamaChat);
  read_stream(Protocol::kOllamaChat, R"({"message":{"content":"x"}})" "\n" R"({"error":"model unloaded"})" "\n", 3, &failed);
  CHECK(failed.error() == "model unloaded");
}

TEST_CASE("an Ollama stream keeps at most max_kept_bytes and stops reading at a line past the bound",
          "[client_api][native_reply]") {
  std::string stream;
  for (int i = 0; i < 100; ++i) stream += R"({"message":{"content":"0123456789"}})" "\n";
  const ChatResponse r = read_stream(Protocol::kOllamaChat, stream, 64, nullptr, 95);
  CHECK(r.content.size() == 95);
  CHECK(r.cut_bytes == 1000 - 95);
  // One line longer than an SSE line may be: the reader gives up on the rest, never buffers it.
  NativeStreamReader reader(Protocol::kOllamaChat);
  reader.feed(std::string(autoswarm::llm::SseParser::kMaxLineBytes + 1, 'x'));
  reader.feed("\n" R"({"message":{"content":"late"},"done":true})" "\n");
  reader.finish();
  CHECK(reader.reply().content.empty());
  CHECK_FALSE(reader.ended());
}

TEST_CASE("what the Ollama translators stream reads back as the reply they streamed", "[client_api][native_reply]") {
  using autoswarm::client_api::ClientApi;
  ChatResponse reply;
  reply.content = "Use ls.";
  reply.finish_reason = "stop";
  reply.usage.prompt_tokens = 20;
  reply.usage.completion_tokens = 5;
  reply.usage.total_tokens = 25;
  reply.usage.reported = true;
  const json chunks = json::parse(R"([
    {"choices":[{"index":0,"delta":{"role":"assistant","content":"Use "}}]},
    {"choices":[{"index":0,"delta":{"content":"ls."}}]},
    {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}])");
  for (const ClientApi* api : {&autoswarm::client_api::ollama_chat_api(), &autoswarm::client_api::ollama_generate_api()}) {
    autoswarm::client_api::ReplyContext context;
    context.model = "qwen3";
    auto translator = api->stream_translator(context);
    std::string stream;
    for (const json& chunk : chunks) stream += translator->on_chunk(chunk);
    stream += translator->on_finish(reply);
    NativeStreamReader reader(api->protocol());
    const ChatResponse read = read_stream(api->protocol(), stream, 11, &reader);
    CHECK(reader.ended());
    CHECK(read.content == "Use ls.");
    CHECK(read.finish_reason == "stop");
    CHECK(read.usage.completion_tokens == 5);
    CHECK(read_native_reply(api->protocol(), api->from_chat_reply(reply, context)).content == "Use ls.");
  }
}
