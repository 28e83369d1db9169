// POST /v1/responses in front of an upstream that speaks only chat completions: what a
// Responses client (the openai package's responses.create, Codex) gets back, what the upstream
// got, what was logged, and OpenAI error bodies for everything that goes wrong.
#include <catch2/catch.hpp>

#include "autoswarm/util/files.h"
#include "proxy/proxy_test_support.h"

// Inside a namespace of its own: the helpers' names and a using-directive would otherwise
// meet the other files of a unity batch.
namespace autoswarm::testing::responses_api_test {

using nlohmann::json;

namespace {

// A reply with known usage, so the client's usage object can be checked exactly.
const char* kScriptedText = R"(
rules:
  - reply:
      content: "Use ls -la."
      usage: {prompt_tokens: 10, completion_tokens: 5, cached_tokens: 2}
    stream: {chunk_size: 4}
)";

const json kUsage = json::parse(R"({"input_tokens":10,"input_tokens_details":{"cached_tokens":2},
  "output_tokens":5,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":15})");

json responses_body(const std::string& text, bool stream) {
  return {{"model", "fake-model"}, {"instructions", "You are terse."}, {"input", text},
          {"max_output_tokens", 256}, {"stream", stream}};
}

json run_shell_tool() {
  return json::parse(R"([{"type":"function","name":"run_shell","description":"Run",
                         "parameters":{"type":"object","properties":{"command":{"type":"string"}}}}])");
}

using Event = SseEvent;

// The SSE events of a body, each checked to carry its own name as `type` and the next
// sequence_number.
std::vector<Event> events_of(const std::string& body) {
  std::vector<Event> events = sse_events(body);
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].data["type"] == events[i].type);
    CHECK(events[i].data["sequence_number"] == i);
  }
  return events;
}

std::vector<std::string> types_of(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(e.type);
  return out;
}

httplib::Result post(ProxyUnderTest& p, const json& body, httplib::Headers headers = {}) {
  return p.client().Post("/v1/responses", headers, body.dump(), "application/json");
}

// The "error" object of an OpenAI error reply with this status.
json error_with_status(const httplib::Result& res, int status) {
  REQUIRE(res);
  INFO(res->body);
  CHECK(res->status == status);
  return error_of(res);
}

// How many chat requests reached the upstream (the proxy also asks it for its models).
size_t chats_sent(const ProxyUnderTest& p) {
  size_t n = 0;
  for (const json& r : p.fake.requests()) n += r["path"] == "/v1/chat/completions" ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a Responses request is answered as a Response, with skills after the instructions upstream",
          "[proxy][responses]") {
  ProxyUnderTest p;
  p.fake.set_script(kScriptedText);
  util::write_file_atomic(p.home / "skills.yaml", kOneSkillYaml);
  auto res = post(p, responses_body("how do I list files?", false));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const json reply = json::parse(res->body);
  CHECK(reply["object"] == "response");
  CHECK(reply["status"] == "completed");
  CHECK(reply["model"] == "fake-model");
  CHECK(reply["instructions"] == "You are terse.");
  CHECK(reply["max_output_tokens"] == 256);
  CHECK(reply["error"] == nullptr);
  CHECK(reply["incomplete_details"] == nullptr);
  CHECK(reply["usage"] == kUsage);
  const std::string id = reply["id"];
  CHECK(id.rfind("resp_", 0) == 0);
  REQUIRE(reply["output"].size() == 1);
  const json& item = reply["output"][0];
  CHECK(item["id"].get<std::string>().rfind("msg_", 0) == 0);
  CHECK(item == json{{"type", "message"}, {"id", item["id"]}, {"status", "completed"}, {"role", "assistant"},
                     {"content", json::parse(R"([{"type":"output_text","text":"Use ls -la.","annotations":[]}])")}});

  const json seen = p.fake.requests().back()["body"];
  CHECK(seen["messages"] == json::array({{{"role", "system"}, {"content", "You are terse.\n\n" + kOneSkillBlock}},
                                         {{"role", "user"}, {"content", "how do I list files?"}}}));
  CHECK(seen["max_tokens"] == 256);
  CHECK_FALSE(seen.contains("stream"));

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "responses");
  CHECK(logs[0]["stream"] == false);
  CHECK(logs[0]["injected_skills"] == json{"sk-0001"});
  CHECK(logs[0]["messages"] == json::array({{{"role", "system"}, {"content", "You are terse."}},
                                            {{"role", "user"}, {"content", "how do I list files?"}}}));
  CHECK(logs[0]["client_request"] == responses_body("how do I list files?", false));
  CHECK(logs[0]["reply"] == json{{"content", "Use ls -la."}, {"tool_calls", json::array()}, {"finish_reason", "stop"}});
}

TEST_CASE("a streamed Responses reply is response.created, the item's events, then response.completed",
          "[proxy][responses]") {
  ProxyUnderTest p;
  p.fake.set_script(kScriptedText);
  auto res = post(p, responses_body("list", true));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/event-stream");
  const std::vector<Event> events = events_of(res->body);
  // "Use ls -la." in fragments of 4: "Use ", "ls -", "la."
  CHECK(types_of(events) == std::vector<std::string>{
                                "response.created", "response.in_progress", "response.output_item.added",
                                "response.content_part.added", "response.output_text.delta",
                                "response.output_text.delta", "response.output_text.delta",
                                "response.output_text.done", "response.content_part.done",
                                "response.output_item.done", "response.completed"});
  REQUIRE(events.size() == 11);
  CHECK(events[0].data["response"]["status"] == "in_progress");
  CHECK(events[0].data["response"]["output"] == json::array());
  const json added = events[2].data["item"];
  CHECK(added["type"] == "message");
  CHECK(added["status"] == "in_progress");
  std::string text;
  for (size_t i = 4; i < 7; ++i) {
    CHECK(events[i].data["item_id"] == added["id"]);
    CHECK(events[i].data["output_index"] == 0);
    text += events[i].data["delta"].get<std::string>();
  }
  CHECK(text == "Use ls -la.");
  CHECK(events[7].data["text"] == "Use ls -la.");
  const json done_item = events[9].data["item"];
  CHECK(done_item["status"] == "completed");
  CHECK(done_item["content"][0]["text"] == "Use ls -la.");

  const json response = events.back().data["response"];
  CHECK(response["id"] == events[0].data["response"]["id"]);
  CHECK(response["status"] == "completed");
  CHECK(response["output"] == json::array({done_item}));
  CHECK(response["usage"] == kUsage);  // the upstream was asked for usage, and the end carries it
  CHECK(p.fake.requests().back()["body"]["stream_options"]["include_usage"] == true);

  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["protocol"] == "responses");
  CHECK(logs[0]["stream"] == true);
  CHECK(logs[0]["client_request"] == responses_body("list", true));
  CHECK(logs[0]["reply"]["content"] == "Use ls -la.");
}

TEST_CASE("the upstream's tool call reaches a Responses client as a function_call item",
          "[proxy][responses]") {
  auto flavor = GENERATE(Flavor::kLmStudio, Flavor::kOllama);  // fragmented and whole tool calls
  ProxyUnderTest p({.flavor = flavor});
  p.fake.set_script(kListingWithToolCallScript);
  const json expected_call = {{"type", "function_call"}, {"status", "completed"}, {"call_id", "call_7"},
                              {"name", "run_shell"}, {"arguments", "{\"command\":\"ls -la\"}"}};
  auto without_id = [](json item) {
    CHECK(item["id"].get<std::string>().rfind("fc_", 0) == 0);
    item.erase("id");
    return item;
  };
  json body = responses_body("list", false);
  body["tools"] = run_shell_tool();

  SECTION("whole") {
    auto res = post(p, body);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const json reply = json::parse(res->body);
    CHECK(reply["status"] == "completed");
    CHECK(reply["tools"] == run_shell_tool());
    REQUIRE(reply["output"].size() == 2);
    CHECK(reply["output"][0]["content"][0]["text"] == "Listing.");
    CHECK(without_id(reply["output"][1]) == expected_call);
    CHECK(p.fake.requests().back()["body"]["tools"] == json::parse(R"([{"type":"function","function":{
      "name":"run_shell","description":"Run",
      "parameters":{"type":"object","properties":{"command":{"type":"string"}}}}}])"));
  }
  SECTION("streamed") {
    body["stream"] = true;
    auto res = post(p, body);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const std::vector<Event> events = events_of(res->body);
    REQUIRE(events.size() > 4);
    std::string arguments, arguments_done;
    json added;
    for (const Event& e : events) {
      if (e.type == "response.output_item.added" && e.data["item"]["type"] == "function_call") added = e.data["item"];
      if (e.type == "response.function_call_arguments.delta") arguments += e.data["delta"].get<std::string>();
      if (e.type == "response.function_call_arguments.done") arguments_done = e.data["arguments"];
    }
    CHECK(added["call_id"] == "call_7");
    CHECK(added["name"] == "run_shell");
    CHECK(added["status"] == "in_progress");
    CHECK(arguments == "{\"command\":\"ls -la\"}");
    CHECK(arguments_done == arguments);
    CHECK(events.back().type == "response.completed");
    const json output = events.back().data["response"]["output"];
    REQUIRE(output.size() == 2);
    CHECK(output[0]["content"][0]["text"] == "Listing.");
    CHECK(without_id(output[1]) == expected_call);
    CHECK(output[1]["id"] == added["id"]);
  }
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["reply"]["tool_calls"][0]["function"]["name"] == "run_shell");
  CHECK(logs[0]["reply"]["finish_reason"] == "tool_calls");
}

TEST_CASE("function_call and function_call_output items go upstream as a tool call and its tool message",
          "[proxy][responses]") {
  ProxyUnderTest p;
  json body = responses_body("ignored", false);
  body["tools"] = run_shell_tool();
  body["input"] = json::parse(R"([
    {"role":"user","content":"list"},
    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},
    {"type":"function_call","call_id":"call_1","name":"run_shell","arguments":"{\"command\":\"ls\"}"},
    {"type":"function_call_output","call_id":"call_1","output":"a.txt"}])");
  auto res = post(p, body);
  REQUIRE(res);
  CHECK(res->status == 200);
  const json seen = p.fake.requests().back()["body"]["messages"];
  CHECK(seen == json::parse(R"([
    {"role":"system","content":"You are terse."},
    {"role":"user","content":"list"},
    {"role":"assistant","content":"Let me look.","tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"run_shell","arguments":"{\"command\":\"ls\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"a.txt"}])"));
  auto logs = p.logs(1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["messages"] == seen);
  CHECK(logs[0]["client_request"] == body);
}

TEST_CASE("Responses errors are OpenAI error bodies with the right status", "[proxy][responses][faults]") {
  SECTION("malformed JSON") {
    ProxyUnderTest p;
    auto res = p.client().Post("/v1/responses", "{\"input\": [", "application/json");
    const json error = error_with_status(res, 400);
    CHECK(error["type"] == "invalid_request_error");
    CHECK_THAT(error["message"].get<std::string>(), Catch::StartsWith("the request body is not valid JSON"));
  }
  SECTION("a field of the wrong type, named") {
    ProxyUnderTest p;
    json body = responses_body("x", false);
    body["max_output_tokens"] = "lots";
    const json error = error_with_status(post(p, body), 400);
    CHECK(error["type"] == "invalid_request_error");
    CHECK(error["message"] == "max_output_tokens must be an integer (got string)");
    body = responses_body("x", false);
    body["input"] = json::array({{{"role", "user"}, {"content", 5}}});
    CHECK(error_with_status(post(p, body), 400)["message"] ==
          "input[0].content must be a string or a list of content parts (got number)");
    CHECK(chats_sent(p) == 0);
  }
  SECTION("what chat completions cannot carry, named") {
    ProxyUnderTest p;
    json body = responses_body("x", false);
    body["tools"] = json::parse(R"([{"type":"web_search"}])");
    CHECK(error_with_status(post(p, body), 400)["message"] ==
          "tools[0].type 'web_search' is a built-in tool that chat completions cannot run; offer function tools only");
    body = responses_body("x", false);
    body["previous_response_id"] = "resp_123";
    CHECK_THAT(error_with_status(post(p, body), 400)["message"].get<std::string>(),
               Catch::StartsWith("previous_response_id cannot be used") &&
                   Catch::Contains("send the whole conversation in input"));
    CHECK(chats_sent(p) == 0);
  }
  SECTION("an unknown model") {
    ProxyUnderTest p({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
    for (bool stream : {false, true}) {
      json body = responses_body("x", stream);
      body["model"] = "llama3.2";
      const json error = error_with_status(post(p, body), 404);
      CHECK(error["type"] == "not_found_error");
      CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("llama3.2"));
    }
  }
  SECTION("the upstream down, streamed or not") {
    ProxyUnderTest p;
    p.fake.stop();
    for (bool stream : {false, true}) {
      const json error = error_with_status(post(p, responses_body("x", stream)), 502);
      CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("autoswarm doctor"));
    }
  }
  SECTION("a stream cut or failed by the upstream ends with response.failed") {
    for (const char* fault : {"cut_after_events: 3", "error_event_after: 3"}) {
      INFO(fault);
      ProxyUnderTest p;
      p.fake.set_script(std::string("rules:\n  - reply: {content: \"a long answer here\"}\n") +
                        "    stream: {chunk_size: 2}\n    fault: {" + fault + "}\n");
      auto res = post(p, responses_body("x", true));
      REQUIRE(res);
      CHECK(res->status == 200);
      const std::vector<Event> events = events_of(res->body);
      REQUIRE(events.size() >= 2);
      CHECK(events.front().type == "response.created");
      CHECK(events.back().type == "response.failed");
      std::string text;
      for (const Event& e : events) {
        CHECK(e.type != "response.completed");
        if (e.type == "response.output_text.delta") text += e.data["delta"].get<std::string>();
    }
    CHECK_FALSE(text.empty());
    const json failed = events.back().data["response"];
    CHECK(failed["status"] == "failed");
    CHECK(failed["error"]["code"] == "upstream_stream_error");
    CHECK_FALSE(failed["error"]["message"].get<std::string>().empty());
    REQUIRE(failed["output"].size() == 1);  // the message as far as it came, cut short
    CHECK(failed["output"][0]["status"] == "incomplete");
    CHECK(failed["output"][0]["content"][0]["text"] == text);
    auto logs = p.logs(1);
    REQUIRE(logs.size() == 1);
    CHECK(logs[0]["protocol"] == "responses");
    CHECK_FALSE(logs[0]["error"].is_null());
    }
  }
  SECTION("a wrong key") {
    ProxyUnderTest p({}, [](proxy::ProxyOptions& o) { o.proxy_key = "sekrit"; });
    const json error = error_with_status(post(p, responses_body("x", false), {{"Authorization", "Bearer nope"}}), 401);
    CHECK(error["type"] == "authentication_error");
    auto right = post(p, responses_body("x", false), {{"Authorization", "Bearer sekrit"}});
    REQUIRE(right);
    CHECK(right->status == 200);
  }
}

TEST_CASE("a stored response cannot be fetched or cancelled: a 404 that says none is stored",
          "[proxy][responses]") {
  ProxyUnderTest p;
  auto fetched = p.client().Get("/v1/responses/resp_x");
  auto cancelled = p.client().Post("/v1/responses/resp_x/cancel", "", "application/json");
  for (const auto* res : {&fetched, &cancelled}) {
    const json error = error_with_status(*res, 404);
    CHECK(error["code"] == "response_not_found");
    CHECK_THAT(error["message"].get<std::string>(), Catch::StartsWith("response 'resp_x' is not stored"));
  }
  CHECK(chats_sent(p) == 0);
}

}  // namespace autoswarm::testing::responses_api_test
