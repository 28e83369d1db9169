// The Responses API as a client sees it through the proxy: its requests as the chat requests the
// upstream gets, whole chat replies as Response objects (streams: responses_stream_test.cpp).
#include "responses_test_support.h"

// Inside the helpers' namespace: a using-directive would leak into the next file of a unity
// batch.
namespace autoswarm::responses_test {

TEST_CASE("the Responses API names its protocol, stream type and OpenAI error body", "[responses]") {
  CHECK(responses_api().protocol() == client_api::Protocol::kResponses);
  CHECK(responses_api().stream_content_type() == "text/event-stream");
  CHECK(json::parse(responses_api().error_body(404, "no model 'x'", "not_found_error")) ==
        json{{"error", {{"message", "no model 'x'"}, {"type", "not_found_error"}, {"param", nullptr}, {"code", nullptr}}}});
  SECTION("invalid UTF-8 in the message is replaced, not thrown on") {
    CHECK_NOTHROW(json::parse(responses_api().error_body(500, "bad \xff byte", "server_error")));
  }
}

TEST_CASE("a string input becomes one user message, with the model passed through", "[responses]") {
  CHECK(translated({{"model", "qwen3"}, {"input", "hi"}}) ==
        json{{"model", "qwen3"}, {"messages", json::array({user("hi")})}});
  SECTION("the model may be absent") {
    CHECK(translated({{"input", "hi"}}) == json{{"messages", json::array({user("hi")})}});
  }
}

TEST_CASE("instructions and every system or developer text become one leading system message", "[responses]") {
  json chat = translated({{"instructions", "Be brief."},
                          {"input", json::array({{{"role", "developer"}, {"content", "Use tools."}},
                                                 {{"type", "message"}, {"role", "system"},
                                                  {"content", json::array({{{"type", "input_text"}, {"text", "Sandbox: on."}}})}},
                                                 user("hi"),
                                                 {{"role", "developer"}, {"content", "Approval: never."}}})}});
  CHECK(chat["messages"] == json::array({{{"role", "system"}, {"content", "Be brief.\n\nUse tools.\n\nSandbox: on.\n\nApproval: never."}},
                                         user("hi")}));
  SECTION("instructions alone") {
    CHECK(translated({{"instructions", "Be brief."}, {"input", "hi"}})["messages"] ==
          json::array({{{"role", "system"}, {"content", "Be brief."}}, user("hi")}));
  }
}

TEST_CASE("message items keep their text and images in chat's shape", "[responses]") {
  json input = json::array(
      {{{"type", "message"}, {"role", "user"},
        {"content", json::array({{{"type", "input_text"}, {"text", "What is this?"}},
                                 {{"type", "input_image"}, {"image_url", "data:image/png;base64,AAAA"}, {"detail", "low"}}})}},
       {{"type", "message"}, {"role", "assistant"}, {"id", "msg_1"}, {"status", "completed"},
        {"content", json::array({{{"type", "output_text"}, {"text", "A cat."}, {"annotations", json::array()}}})}},
       {{"role", "user"}, {"content", json::array({{{"type", "input_text"}, {"text", "Sure?"}},
                                                   {{"type", "input_text"}, {"text", "Really?"}}})}}});
  CHECK(translated({{"input", input}})["messages"] ==
        json::array({{{"role", "user"},
                      {"content", json::array({{{"type", "text"}, {"text", "What is this?"}},
                                               {{"type", "image_url"},
                                                {"image_url", {{"url", "data:image/png;base64,AAAA"}, {"detail", "low"}}}}})}},
                     {{"role", "assistant"}, {"content", "A cat."}},
                     user("Sure?\nReally?")}));
}

TEST_CASE("function calls become assistant tool_calls and their outputs tool messages", "[responses]") {
  json input = json::array(
      {user("Weather in Paris and Rome?"),
       {{"type", "reasoning"}, {"id", "rs_1"}, {"summary", json::array({{{"type", "summary_text"}, {"text", "…"}}})},
        {"encrypted_content", "xyz"}},
       {{"type", "message"}, {"role", "assistant"}, {"content", json::array({{{"type", "output_text"}, {"text", "Checking."}}})}},
       {{"type", "function_call"}, {"id", "fc_1"}, {"call_id", "call_1"}, {"name", "weather"}, {"arguments", "{\"city\":\"Paris\"}"}},
       {{"type", "function_call"}, {"id", "fc_2"}, {"call_id", "call_2"}, {"name", "weather"}, {"arguments", "{\"city\":\"Rome\"}"}},
       {{"type", "function_call_output"}, {"call_id", "call_1"}, {"output", "18C"}},
       {{"type", "function_call_output"}, {"call_id", "call_2"},
        {"output", json::array({{{"type", "input_text"}, {"text", "21C"}}, {{"type", "input_text"}, {"text", "sunny"}}})}},
       {{"type", "function_call"}, {"call_id", "call_3"}, {"name", "clock"}, {"arguments", "{}"}},
       {{"type", "function_call_output"}, {"call_id", "call_3"}, {"output", "noon"}}});
  auto call = [](const char* id, const char* name, const char* arguments) {
    return json{{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
  };
  CHECK(translated({{"input", input}})["messages"] ==
        json::array({user("Weather in Paris and Rome?"),
                     {{"role", "assistant"}, {"content", "Checking."},
                      {"tool_calls", json::array({call("call_1", "weather", "{\"city\":\"Paris\"}"),
                                                  call("call_2", "weather", "{\"city\":\"Rome\"}")})}},
                     {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "18C"}},
                     {{"role", "tool"}, {"tool_call_id", "call_2"}, {"content", "21C\nsunny"}},
                     {{"role", "assistant"}, {"content", ""}, {"tool_calls", json::array({call("call_3", "clock", "{}")})}},
                     {{"role", "tool"}, {"tool_call_id", "call_3"}, {"content", "noon"}}}));
}

TEST_CASE("flat function tools become nested ones, and tool_choice follows", "[responses]") {
  json request = {{"input", "hi"},
                  {"tools", json::array({{{"type", "function"}, {"name", "f"}, {"description", "does f"},
                                          {"parameters", {{"type", "object"}}}, {"strict", true}},
                                         {{"type", "function"}, {"name", "g"}}})}};
  json chat = translated(request);
  CHECK(chat["tools"] == json::array({{{"type", "function"},
                                       {"function", {{"name", "f"}, {"description", "does f"},
                                                     {"parameters", {{"type", "object"}}}, {"strict", true}}}},
                                      {{"type", "function"}, {"function", {{"name", "g"}}}}}));
  CHECK_FALSE(chat.contains("tool_choice"));
  for (const char* mode : {"auto", "none", "required"}) {
    request["tool_choice"] = mode;
    CHECK(translated(request)["tool_choice"] == mode);
  }
  request["tool_choice"] = {{"type", "function"}, {"name", "g"}};
  CHECK(translated(request)["tool_choice"] == json{{"type", "function"}, {"function", {{"name", "g"}}}});
}

TEST_CASE("sampling, reasoning, output format and streaming fields keep their meaning", "[responses]") {
  json chat = translated({{"model", "m"},
                          {"input", "hi"},
                          {"max_output_tokens", 256},
                          {"temperature", 0.5},
                          {"top_p", 0.9},
                          {"parallel_tool_calls", false},
                          {"reasoning", {{"effort", "high"}, {"summary", "auto"}}},
                          {"text", {{"format", {{"type", "json_schema"}, {"name", "answer"},
                                                {"schema", {{"type", "object"}}}, {"strict", true}}}}},
                          {"stream", true},
                          {"store", false},
                          {"include", json::array({"reasoning.encrypted_content"})},
                          {"prompt_cache_key", "k"},
                          {"metadata", {{"a", "b"}}},
                          {"user", "u"},
                          {"truncation", "auto"},
                          {"service_tier", "auto"},
                          {"previous_response_id", nullptr},
                          {"background", false}});
  CHECK(chat == json{{"model", "m"},
                     {"messages", json::array({user("hi")})},
                     {"max_tokens", 256},
                     {"temperature", 0.5},
                     {"top_p", 0.9},
                     {"parallel_tool_calls", false},
                     {"reasoning_effort", "high"},
                     {"response_format", {{"type", "json_schema"},
                                          {"json_schema", {{"name", "answer"}, {"schema", {{"type", "object"}}}, {"strict", true}}}}},
                     {"stream", true},
                     {"stream_options", {{"include_usage", true}}}});
  SECTION("json_object and text formats") {
    CHECK(translated({{"input", "hi"}, {"text", {{"format", {{"type", "json_object"}}}}}})["response_format"] ==
          json{{"type", "json_object"}});
    CHECK_FALSE(translated({{"input", "hi"}, {"text", {{"format", {{"type", "text"}}}}}}).contains("response_format"));
  }
  SECTION("stream false is not sent") {
    json plain = translated({{"input", "hi"}, {"stream", false}});
    CHECK_FALSE(plain.contains("stream"));
    CHECK_FALSE(plain.contains("stream_options"));
  }
}

TEST_CASE("requests that need stored state are refused with what to send instead", "[responses]") {
  CHECK(refusal({{"input", "hi"}, {"previous_response_id", "resp_1"}}) ==
        "previous_response_id cannot be used: this upstream speaks only chat completions, so stored "
        "responses are not available; send the whole conversation in input");
  CHECK(refusal({{"input", "hi"}, {"conversation", "conv_1"}}).rfind("conversation cannot be used", 0) == 0);
  CHECK(refusal({{"input", "hi"}, {"background", true}}).rfind("background: true", 0) == 0);
  CHECK(refusal({{"input", "hi"}, {"prompt", {{"id", "pmpt_1"}}}}).rfind("prompt", 0) == 0);
}

TEST_CASE("items chat completions cannot carry are refused, naming the item", "[responses]") {
  for (const char* type : {"computer_call", "web_search_call", "file_search_call", "item_reference", "custom_tool_call"}) {
    CHECK(refusal({{"input", json::array({user("hi"), {{"type", type}, {"id", "x"}}})}}) ==
          std::string("input[1].type '") + type +
              "' cannot be translated to chat completions; send message, function_call and function_call_output items");
  }
  CHECK(refusal({{"input", json::array({{{"role", "user"},
                                          {"content", json::array({{{"type", "input_file"}, {"file_id", "f"}}})}}})}}) ==
        "input[0].content[0].type 'input_file' cannot be translated to chat completions; send input_text or input_image parts");
  CHECK(refusal({{"input", json::array({{{"role", "user"},
                                          {"content", json::array({{{"type", "input_image"}, {"file_id", "f"}}})}}})}})
            .rfind("input[0].content[0].file_id cannot be translated", 0) == 0);
  CHECK(refusal({{"input", json::array({{{"role", "assistant"},
                                          {"content", json::array({{{"type", "input_image"}, {"image_url", "u"}}})}}})}}) ==
        "input[0].content[0].type 'input_image' is allowed in user messages only");
  CHECK(refusal({{"input", json::array({{{"type", "function_call_output"}, {"call_id", "c"},
                                          {"output", json::array({{{"type", "input_image"}, {"image_url", "u"}}})}}})}})
            .rfind("input[0].output[0].type 'input_image' cannot be translated", 0) == 0);
}

TEST_CASE("built-in tools are refused, naming the tool", "[responses]") {
  for (const char* type : {"web_search", "file_search", "code_interpreter", "mcp", "custom", "local_shell"}) {
    CHECK(refusal({{"input", "hi"}, {"tools", json::array({{{"type", "function"}, {"name", "f"}}, {{"type", type}}})}}) ==
          std::string("tools[1].type '") + type + "' is a built-in tool that chat completions cannot run; offer function tools only");
  }
  CHECK(refusal({{"input", "hi"}, {"tool_choice", {{"type", "web_search"}}}}).rfind("tool_choice.type 'web_search'", 0) == 0);
  CHECK(refusal({{"input", "hi"}, {"tool_choice", "any"}}) == "tool_choice 'any' is not one of auto, none, required");
}

TEST_CASE("fields of the wrong type are refused, naming the field", "[responses]") {
  CHECK(refusal({{"input", 3}}) == "input must be a string or a list of items (got number)");
  CHECK(refusal({{"input", {{"role", "user"}}}}) == "input must be a string or a list of items (got object)");
  CHECK(refusal({{"model", "m"}}) == "input is required: send a string or a list of items");
  CHECK(refusal({{"input", json::array()}}) == "input holds no message to answer: send at least one user message");
  CHECK(refusal({{"input", json::array({"hi"})}}) == "input[0] must be an object (got string)");
  CHECK(refusal({{"input", json::array({{{"role", "tool"}, {"content", "x"}}})}}) ==
        "input[0].role 'tool' is not one of user, assistant, system, developer");
  CHECK(refusal({{"input", json::array({{{"role", "user"}, {"content", 5}}})}}) ==
        "input[0].content must be a string or a list of content parts (got number)");
  CHECK(refusal({{"input", json::array({{{"role", "user"}}})}}) == "input[0].content is required");
  CHECK(refusal({{"input", json::array({{{"type", 7}}})}}) == "input[0].type must be a string (got number)");
  CHECK(refusal({{"input", json::array({{{"type", "function_call"}, {"name", "f"}}})}}) == "input[0].call_id is required");
  CHECK(refusal({{"input", json::array({{{"type", "function_call"}, {"call_id", "c"}, {"name", "f"}, {"arguments", {{"a", 1}}}}})}}) ==
        "input[0].arguments must be a string (got object)");
  CHECK(refusal({{"input", json::array({{{"type", "function_call_output"}, {"call_id", "c"}, {"output", {{"a", 1}}}}})}}) ==
        "input[0].output must be a string or a list of input_text parts (got object)");
  CHECK(refusal({{"input", "hi"}, {"instructions", 1}}) == "instructions must be a string (got number)");
  CHECK(refusal({{"input", "hi"}, {"model", 1}}) == "model must be a string (got number)");
  CHECK(refusal({{"input", "hi"}, {"temperature", "hot"}}) == "temperature must be a number (got string)");
  CHECK(refusal({{"input", "hi"}, {"max_output_tokens", 1.5}}) == "max_output_tokens must be an integer (got number)");
  CHECK(refusal({{"input", "hi"}, {"stream", "yes"}}) == "stream must be true or false (got string)");
  CHECK(refusal({{"input", "hi"}, {"parallel_tool_calls", 1}}) == "parallel_tool_calls must be true or false (got number)");
  CHECK(refusal({{"input", "hi"}, {"background", "no"}}) == "background must be true or false (got string)");
  CHECK(refusal({{"input", "hi"}, {"reasoning", "high"}}) == "reasoning must be an object (got string)");
  CHECK(refusal({{"input", "hi"}, {"tools", {{"type", "function"}}}}) == "tools must be a list (got object)");
  CHECK(refusal({{"input", "hi"}, {"tools", json::array({{{"type", "function"}}})}}) == "tools[0].name is required");
  CHECK(refusal({{"input", "hi"}, {"tools", json::array({{{"type", "function"}, {"name", "f"}, {"parameters", "x"}}})}}) ==
        "tools[0].parameters must be an object (a JSON schema) (got string)");
  CHECK(refusal({{"input", "hi"}, {"text", {{"format", {{"type", "yaml"}}}}}}) ==
        "text.format.type 'yaml' is not one of text, json_object, json_schema");
  CHECK(refusal({{"input", "hi"}, {"text", {{"format", {{"type", "json_schema"}, {"name", "a"}}}}}}) ==
        "text.format.schema is required");
  CHECK(refusal(json::array()) == "the request body must be a JSON object (got list)");
}

TEST_CASE("invalid UTF-8 in a request or reply is carried without throwing", "[responses]") {
  const std::string bad = "caf\xc3";
  json chat = translated({{"input", bad}, {"instructions", bad}});
  CHECK_NOTHROW(chat.dump(-1, ' ', false, json::error_handler_t::replace));
  ChatResponse r = reply_with(bad);
  r.tool_calls.push_back(tool_call("call_1", "f", bad));
  json body = responses_api().from_chat_reply(r, context({{"instructions", bad}}));
  CHECK_NOTHROW(body.dump(-1, ' ', false, json::error_handler_t::replace));
  auto stream = responses_api().stream_translator(context({{"instructions", bad}}));
  std::string text;
  CHECK_NOTHROW(text += stream->on_chunk(delta_chunk({{"content", bad}})));
  CHECK_NOTHROW(text += stream->on_chunk(tool_delta(0, "call_1", "f", bad)));
  CHECK_NOTHROW(text += stream->on_finish(r));
  CHECK(events_of(text).back().name == "response.completed");
}

TEST_CASE("a whole chat reply becomes a completed Response", "[responses]") {
  json body = responses_api().from_chat_reply(reply_with("Hi"), context());
  CHECK(body == json{{"id", "resp_abc"},
                     {"object", "response"},
                     {"created_at", 1741476777},
                     {"status", "completed"},
                     {"model", "qwen3"},
                     {"error", nullptr},
                     {"incomplete_details", nullptr},
                     {"output", json::array({{{"type", "message"}, {"id", "msg_abc_0"}, {"status", "completed"}, {"role", "assistant"},
                                              {"content", json::array({{{"type", "output_text"}, {"text", "Hi"},
                                                                        {"annotations", json::array()}}})}}})},
                     {"usage", kUsage},
                     {"instructions", nullptr},
                     {"tools", json::array()},
                     {"tool_choice", "auto"},
                     {"temperature", 1.0},
                     {"top_p", 1.0},
                     {"max_output_tokens", nullptr},
                     {"previous_response_id", nullptr},
                     {"store", true},
                     {"metadata", json::object()},
                     {"parallel_tool_calls", true},
                     {"text", {{"format", {{"type", "text"}}}}},
                     {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}}});
  SECTION("an id that already has the resp_ prefix is kept") {
    ReplyContext c = context();
    c.id = "resp_xyz";
    json b = responses_api().from_chat_reply(reply_with("Hi"), c);
    CHECK(b["id"] == "resp_xyz");
    CHECK(b["output"][0]["id"] == "msg_xyz_0");
  }
}

TEST_CASE("a reply's reasoning, text and tool calls become output items in that order", "[responses]") {
  ChatResponse r = reply_with("Let me look.", "tool_calls");
  r.reasoning_content = "The user wants weather.";
  r.tool_calls.push_back(tool_call("call_1", "weather", "{\"city\":\"Paris\"}"));
  r.tool_calls.push_back(tool_call("", "clock", "{}"));
  r.usage.cached_tokens = 12;
  json body = responses_api().from_chat_reply(r, context());
  CHECK(body["status"] == "completed");
  CHECK(body["output"] ==
        json::array({{{"type", "reasoning"}, {"id", "rs_abc_0"}, {"summary", json::array()},
                      {"content", json::array({{{"type", "reasoning_text"}, {"text", "The user wants weather."}}})}},
                     {{"type", "message"}, {"id", "msg_abc_1"}, {"status", "completed"}, {"role", "assistant"},
                      {"content", json::array({{{"type", "output_text"}, {"text", "Let me look."}, {"annotations", json::array()}}})}},
                     {{"type", "function_call"}, {"id", "fc_abc_2"}, {"status", "completed"}, {"call_id", "call_1"},
                      {"name", "weather"}, {"arguments", "{\"city\":\"Paris\"}"}},
                     {{"type", "function_call"}, {"id", "fc_abc_3"}, {"status", "completed"}, {"call_id", "call_abc_3"},
                      {"name", "clock"}, {"arguments", "{}"}}}));
  CHECK(body["usage"]["input_tokens_details"]["cached_tokens"] == 12);
  SECTION("tool calls alone: no empty message item") {
    ChatResponse calls_only = reply_with("", "tool_calls");
    calls_only.tool_calls.push_back(tool_call("call_1", "f", "{}"));
    json b = responses_api().from_chat_reply(calls_only, context());
    REQUIRE(b["output"].size() == 1);
    CHECK(b["output"][0]["type"] == "function_call");
  }
}

TEST_CASE("a reply cut by length or a content filter is an incomplete Response", "[responses]") {
  json cut = responses_api().from_chat_reply(reply_with("Once upon", "length"), context());
  CHECK(cut["status"] == "incomplete");
  CHECK(cut["incomplete_details"] == json{{"reason", "max_output_tokens"}});
  CHECK(cut["output"][0]["status"] == "incomplete");
  json filtered = responses_api().from_chat_reply(reply_with("", "content_filter"), context());
  CHECK(filtered["status"] == "incomplete");
  CHECK(filtered["incomplete_details"] == json{{"reason", "content_filter"}});
  CHECK(filtered["output"] == json::array());
}

TEST_CASE("a Response echoes the request fields OpenAI echoes", "[responses]") {
  json request = {{"input", "hi"},
                  {"instructions", "Be brief."},
                  {"tools", json::array({{{"type", "function"}, {"name", "f"}}})},
                  {"tool_choice", {{"type", "function"}, {"name", "f"}}},
                  {"temperature", 0.2},
                  {"top_p", 0.5},
                  {"max_output_tokens", 100},
                  {"store", false},
                  {"metadata", {{"k", "v"}}},
                  {"parallel_tool_calls", false},
                  {"text", {{"format", {{"type", "json_object"}}}}},
                  {"reasoning", {{"effort", "low"}}}};
  json body = responses_api().from_chat_reply(reply_with("Hi"), context(request));
  for (const char* key : {"instructions", "tools", "tool_choice", "temperature", "top_p", "max_output_tokens", "store",
                          "metadata", "parallel_tool_calls", "text"}) {
    CHECK(body[key] == request[key]);
  }
  CHECK(body["previous_response_id"] == nullptr);
  CHECK(body["reasoning"] == json{{"effort", "low"}, {"summary", nullptr}});
}

}  // namespace autoswarm::responses_test
