// Chat completion chunks as a Responses client's event stream: the events in order, each
// item opened and closed, and one terminal event with the whole Response.
#include "responses_test_support.h"

// Inside the helpers' namespace: a using-directive would leak into the next file of a unity
// batch.
namespace autoswarm::responses_test {

TEST_CASE("a streamed text reply becomes the Responses event sequence", "[responses]") {
  auto stream = responses_api().stream_translator(context({{"input", "hi"}, {"stream", true}}));
  std::string text = stream->on_chunk(delta_chunk({{"role", "assistant"}, {"content", ""}}));
  text += stream->on_chunk(delta_chunk({{"content", "Hel"}}));
  text += stream->on_chunk(delta_chunk({{"content", "lo"}}));
  text += stream->on_chunk(delta_chunk(json::object(), "stop"));
  text += stream->on_chunk(usage_chunk(36, 87));
  text += stream->on_finish(reply_with("Hello"));
  CHECK(text.find("[DONE]") == std::string::npos);
  std::vector<Event> events = events_of(text);
  CHECK(names_of(events) == std::vector<std::string>{
                                "response.created", "response.in_progress", "response.output_item.added",
                                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                                "response.completed"});
  check_sequence_numbers(events);
  for (size_t i : {0, 1}) {
    const json& response = events[i].data["response"];
    CHECK(response["id"] == "resp_abc");
    CHECK(response["status"] == "in_progress");
    CHECK(response["output"] == json::array());
    CHECK(response["usage"] == nullptr);
  }
  CHECK(events[2].data["output_index"] == 0);
  CHECK(events[2].data["item"] == json{{"type", "message"}, {"id", "msg_abc_0"}, {"status", "in_progress"},
                                       {"role", "assistant"}, {"content", json::array()}});
  CHECK(events[3].data["part"] == json{{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}});
  CHECK(events[3].data["item_id"] == "msg_abc_0");
  CHECK(events[4].data["delta"] == "Hel");
  CHECK(events[4].data["content_index"] == 0);
  CHECK(events[5].data["delta"] == "lo");
  CHECK(events[6].data["text"] == "Hello");
  CHECK(events[7].data["part"]["text"] == "Hello");
  const json message = {{"type", "message"}, {"id", "msg_abc_0"}, {"status", "completed"}, {"role", "assistant"},
                        {"content", json::array({{{"type", "output_text"}, {"text", "Hello"}, {"annotations", json::array()}}})}};
  CHECK(events[8].data["item"] == message);
  const json& done = events[9].data["response"];
  CHECK(done == responses_api().from_chat_reply(reply_with("Hello"), context({{"input", "hi"}, {"stream", true}})));
  CHECK(done["output"] == json::array({message}));
  CHECK(done["usage"] == kUsage);
  SECTION("nothing follows the end") {
    CHECK(stream->on_chunk(delta_chunk({{"content", "more"}})).empty());
    CHECK(stream->on_finish(reply_with("Hello")).empty());
    CHECK(stream->on_error(502, "x", "upstream_error", reply_with("Hello")).empty());
  }
}

TEST_CASE("a streamed reply with reasoning, text then tool calls closes each item before the next", "[responses]") {
  auto stream = responses_api().stream_translator(context());
  std::string text = stream->on_chunk(delta_chunk({{"reasoning_content", "Think"}}));
  text += stream->on_chunk(delta_chunk({{"reasoning", "ing."}}));
  text += stream->on_chunk(delta_chunk({{"content", "Checking."}}));
  text += stream->on_chunk(tool_delta(0, "call_1", "weather", "{\"city\""));
  text += stream->on_chunk(tool_delta(0, "", "", ":\"Paris\"}"));
  text += stream->on_chunk(tool_delta(1, "call_2", "clock", ""));
  text += stream->on_chunk(tool_delta(1, "", "", "{}"));
  text += stream->on_chunk(delta_chunk(json::object(), "tool_calls"));
  ChatResponse r = reply_with("Checking.", "tool_calls");
  r.reasoning_content = "Thinking.";
  r.tool_calls = {tool_call("call_1", "weather", "{\"city\":\"Paris\"}"), tool_call("call_2", "clock", "{}")};
  text += stream->on_finish(r);
  std::vector<Event> events = events_of(text);
  check_sequence_numbers(events);
  CHECK(names_of(events) ==
        std::vector<std::string>{
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta",
            "response.reasoning_text.delta", "response.reasoning_text.done", "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.completed"});
  CHECK(events[2].data["item"] == json{{"type", "reasoning"}, {"id", "rs_abc_0"}, {"summary", json::array()}, {"content", json::array()}});
  CHECK(events[3].data["part"] == json{{"type", "reasoning_text"}, {"text", ""}});
  CHECK(events[5].data["delta"] == "ing.");
  CHECK(events[6].data["text"] == "Thinking.");
  CHECK(events[9].data["output_index"] == 1);
  CHECK(events[15].data == json{{"type", "response.output_item.added"}, {"sequence_number", 15}, {"output_index", 2},
                                {"item", {{"type", "function_call"}, {"id", "fc_abc_2"}, {"status", "in_progress"},
                                          {"call_id", "call_1"}, {"name", "weather"}, {"arguments", ""}}}});
  CHECK(events[16].data["delta"] == "{\"city\"");
  CHECK(events[16].data["item_id"] == "fc_abc_2");
  CHECK(events[17].data["delta"] == ":\"Paris\"}");
  CHECK(events[18].data["output_index"] == 3);
  CHECK(events[18].data["item"]["call_id"] == "call_2");
  CHECK(events[20].data["arguments"] == "{\"city\":\"Paris\"}");
  CHECK(events[21].data["item"] == json{{"type", "function_call"}, {"id", "fc_abc_2"}, {"status", "completed"},
                                        {"call_id", "call_1"}, {"name", "weather"}, {"arguments", "{\"city\":\"Paris\"}"}});
  CHECK(events[22].data["arguments"] == "{}");
  const json& response = events.back().data["response"];
  CHECK(response == responses_api().from_chat_reply(r, context()));
}

TEST_CASE("a stream cut by length ends with response.incomplete", "[responses]") {
  auto stream = responses_api().stream_translator(context());
  std::string text = stream->on_chunk(delta_chunk({{"content", "Once"}}, "length"));
  text += stream->on_finish(reply_with("Once", "length"));
  std::vector<Event> events = events_of(text);
  CHECK(events.back().name == "response.incomplete");
  CHECK(events.back().data["response"]["status"] == "incomplete");
  CHECK(events.back().data["response"]["incomplete_details"] == json{{"reason", "max_output_tokens"}});
  CHECK(events[events.size() - 2].data["item"]["status"] == "incomplete");
}

TEST_CASE("a stream that ends without chunks still ends with a completed Response", "[responses]") {
  auto stream = responses_api().stream_translator(context());
  ChatResponse empty;
  std::vector<Event> events = events_of(stream->on_finish(empty));
  CHECK(names_of(events) == std::vector<std::string>{"response.created", "response.in_progress", "response.completed"});
  check_sequence_numbers(events);
  const json& response = events.back().data["response"];
  CHECK(response["status"] == "completed");
  CHECK(response["output"] == json::array());
  CHECK(response["usage"]["total_tokens"] == 0);
}

TEST_CASE("usage comes from the usage-only chunk when the reply has none", "[responses]") {
  auto stream = responses_api().stream_translator(context());
  std::string text = stream->on_chunk(delta_chunk({{"content", "Hi"}}, "stop"));
  CHECK(stream->on_chunk(usage_chunk(10, 2)).empty());
  text += stream->on_finish(ChatResponse{});
  const std::vector<Event> events = events_of(text);
  const json& usage = events.back().data["response"]["usage"];
  CHECK(usage["input_tokens"] == 10);
  CHECK(usage["output_tokens"] == 2);
  CHECK(usage["total_tokens"] == 12);
  CHECK(usage["input_tokens_details"]["cached_tokens"] == 4);
}

TEST_CASE("a whole tool call at a taken index with a new id is a new call", "[responses]") {
  auto stream = responses_api().stream_translator(context());
  std::string text = stream->on_chunk(tool_delta(0, "call_a", "f", "{}"));
  text += stream->on_chunk(tool_delta(0, "call_b", "g", "{\"x\":1}"));
  text += stream->on_finish(reply_with("", "tool_calls"));
  const std::vector<Event> events = events_of(text);
  const json& output = events.back().data["response"]["output"];
  REQUIRE(output.size() == 2);
  CHECK(output[0]["call_id"] == "call_a");
  CHECK(output[1]["call_id"] == "call_b");
  CHECK(output[1]["name"] == "g");
  CHECK(output[1]["arguments"] == "{\"x\":1}");
}

TEST_CASE("a stream that breaks ends with response.failed and nothing more", "[responses]") {
  auto stream = responses_api().stream_translator(context());
  std::string text = stream->on_chunk(delta_chunk({{"content", "Hal"}}));
  text += stream->on_error(502, "the upstream closed the connection", "upstream_stream_error", reply_with("Hal"));
  std::vector<Event> events = events_of(text);
  CHECK(names_of(events) == std::vector<std::string>{"response.created", "response.in_progress",
                                                     "response.output_item.added", "response.content_part.added",
                                                     "response.output_text.delta", "response.failed"});
  check_sequence_numbers(events);
  const json& response = events.back().data["response"];
  CHECK(response["status"] == "failed");
  CHECK(response["error"] == json{{"code", "upstream_stream_error"}, {"message", "the upstream closed the connection"}});
  CHECK(response["output"][0]["status"] == "incomplete");
  CHECK(response["output"][0]["content"][0]["text"] == "Hal");
  CHECK(text.find("[DONE]") == std::string::npos);
  CHECK(stream->on_finish(reply_with("Hal")).empty());
  SECTION("with no type the code is server_error, and a stream that never started starts first") {
    auto fresh = responses_api().stream_translator(context());
    std::vector<Event> e = events_of(fresh->on_error(503, "stopping", "", ChatResponse{}));
    CHECK(names_of(e) == std::vector<std::string>{"response.created", "response.in_progress", "response.failed"});
    CHECK(e.back().data["response"]["error"]["code"] == "server_error");
    CHECK(e.back().data["response"]["usage"] == nullptr);
  }
}

TEST_CASE("a stream past max_kept_bytes fails as too large and keeps nothing more", "[responses]") {
  ReplyContext ctx = context();
  ctx.max_kept_bytes = 10;
  auto stream = responses_api().stream_translator(ctx);
  std::string text = stream->on_chunk(delta_chunk({{"content", "123456"}}));
  CHECK_FALSE(stream->ended());
  text += stream->on_chunk(delta_chunk({{"content", "789012"}}));
  CHECK(stream->ended());
  CHECK(stream->on_chunk(delta_chunk({{"content", "more"}})).empty());
  CHECK(stream->on_finish(reply_with("123456789012more")).empty());
  const std::vector<Event> events = events_of(text);
  check_sequence_numbers(events);
  CHECK(events.back().name == "response.failed");
  CHECK(events.back().data["response"]["error"]["code"] == "upstream_reply_too_large");
  CHECK_THAT(events.back().data["response"]["error"]["message"].get<std::string>(),
             Catch::Contains("--max-upstream-reply"));
}

}  // namespace autoswarm::responses_test
