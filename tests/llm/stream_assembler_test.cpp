// Rebuilding whole replies from streamed chunks as LM Studio, Ollama, vLLM and OpenAI send them.
#include "autoswarm/llm/stream_assembler.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using autoswarm::llm::ChatResponse;
using autoswarm::llm::StreamAssembler;
using autoswarm::llm::ToolCallAssembler;
using nlohmann::json;

namespace {

json chunk_with_delta(const json& delta, const json& finish_reason = nullptr) {
  return {{"id", "chatcmpl-7"},
          {"object", "chat.completion.chunk"},
          {"model", "qwen3-8b"},
          {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}})}};
}

json tool_delta(const json& tool_calls) { return chunk_with_delta({{"tool_calls", tool_calls}}); }

ChatResponse assemble(const std::vector<json>& chunks) {
  StreamAssembler a;
  for (const auto& c : chunks) a.add(c);
  return a.result();
}

}  // namespace

TEST_CASE("content is assembled from deltas in order", "[stream]") {
  ChatResponse r = assemble({
      chunk_with_delta({{"role", "assistant"}, {"content", ""}}),
      chunk_with_delta({{"content", "Hel"}}),
      chunk_with_delta({{"content", "lo, "}}),
      chunk_with_delta({{"content", nullptr}}),  // some servers send null content
      chunk_with_delta({{"content", "w\xC3\xB6rld"}}),
      chunk_with_delta(json::object(), "stop"),
  });
  CHECK(r.content == "Hello, w\xC3\xB6rld");
  CHECK(r.finish_reason == "stop");
  CHECK(r.id == "chatcmpl-7");
  CHECK(r.model == "qwen3-8b");
  CHECK(r.tool_calls.empty());
  CHECK_FALSE(r.usage.reported);
  CHECK(r.message() == json{{"role", "assistant"}, {"content", "Hello, w\xC3\xB6rld"}});
}

TEST_CASE("finish_reason is the last one reported, a later null does not clear it", "[stream]") {
  ChatResponse r = assemble({
      chunk_with_delta({{"content", "x"}}),
      chunk_with_delta(json::object(), "length"),
      chunk_with_delta(json::object(), nullptr),
  });
  CHECK(r.finish_reason == "length");
  CHECK(assemble({chunk_with_delta({{"content", "x"}})}).finish_reason.empty());
}

TEST_CASE("the usage chunk with empty choices sets usage and leaves content alone", "[stream]") {
  json usage_chunk = {{"id", "chatcmpl-7"},
                      {"choices", json::array()},
                      {"usage",
                       {{"prompt_tokens", 120},
                        {"completion_tokens", 8},
                        {"total_tokens", 128},
                        {"prompt_tokens_details", {{"cached_tokens", 96}}}}}};
  // OpenAI puts "usage": null in every other chunk when include_usage is on.
  json before = chunk_with_delta({{"content", "ok"}}, "stop");
  before["usage"] = nullptr;
  ChatResponse r = assemble({before, usage_chunk});
  CHECK(r.content == "ok");
  CHECK(r.finish_reason == "stop");
  CHECK(r.usage.reported);
  CHECK(r.usage.prompt_tokens == 120);
  CHECK(r.usage.completion_tokens == 8);
  CHECK(r.usage.total_tokens == 128);
  REQUIRE(r.usage.cached_tokens.has_value());
  CHECK(*r.usage.cached_tokens == 96);

  SECTION("without prompt_tokens_details, no cached count; a missing total is the sum") {
    json plain = {{"choices", json::array()},
                  {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}}}};
    ChatResponse p = assemble({plain});
    CHECK(p.usage.reported);
    CHECK_FALSE(p.usage.cached_tokens.has_value());
    CHECK(p.usage.total_tokens == 15);
  }
}

TEST_CASE("LM Studio fragmented tool call is joined by index", "[stream][tools]") {
  ChatResponse r = assemble({
      chunk_with_delta({{"role", "assistant"}}),
      tool_delta(json::array({{{"index", 0},
                               {"id", "call_abc"},
                               {"type", "function"},
                               {"function", {{"name", "get_weather"}, {"arguments", ""}}}}})),
      tool_delta(json::array({{{"index", 0}, {"function", {{"arguments", "{\"ci"}}}}})),
      tool_delta(json::array({{{"index", 0}, {"function", {{"arguments", "ty\": \"Par"}}}}})),
      tool_delta(json::array({{{"index", 0}, {"function", {{"arguments", "is\"}"}}}}})),
      chunk_with_delta(json::object(), "tool_calls"),
  });
  CHECK(r.finish_reason == "tool_calls");
  REQUIRE(r.tool_calls.size() == 1);
  const auto& call = r.tool_calls[0];
  CHECK(call.id == "call_abc");
  CHECK(call.name == "get_weather");
  CHECK(call.arguments == "{\"city\": \"Paris\"}");
  CHECK(call.arguments_ok());
  CHECK(call.parsed_arguments == json{{"city", "Paris"}});
  CHECK(r.content.empty());
  CHECK(r.message() ==
        json{{"role", "assistant"},
             {"content", nullptr},
             {"tool_calls",
              json::array({{{"id", "call_abc"},
                            {"type", "function"},
                            {"function",
                             {{"name", "get_weather"}, {"arguments", "{\"city\": \"Paris\"}"}}}}})}});
}

TEST_CASE("two interleaved fragmented tool calls stay apart by index", "[stream][tools]") {
  ChatResponse r = assemble({
      tool_delta(json::array({{{"index", 0},
                               {"id", "call_1"},
                               {"type", "function"},
                               {"function", {{"name", "read_file"}, {"arguments", ""}}}}})),
      tool_delta(json::array({{{"index", 1},
                               {"id", "call_2"},
                               {"type", "function"},
                               {"function", {{"name", "list_dir"}, {"arguments", ""}}}}})),
      tool_delta(json::array({{{"index", 0}, {"function", {{"arguments", "{\"path\":"}}}}})),
      tool_delta(json::array({{{"index", 1}, {"function", {{"arguments", "{\"dir\":\".\""}}}}})),
      tool_delta(json::array({{{"index", 0}, {"function", {{"arguments", "\"a.txt\"}"}}}},
                              {{"index", 1}, {"function", {{"arguments", "}"}}}}})),
  });
  REQUIRE(r.tool_calls.size() == 2);
  CHECK(r.tool_calls[0].id == "call_1");
  CHECK(r.tool_calls[0].name == "read_file");
  CHECK(r.tool_calls[0].parsed_arguments == json{{"path", "a.txt"}});
  CHECK(r.tool_calls[1].id == "call_2");
  CHECK(r.tool_calls[1].name == "list_dir");
  CHECK(r.tool_calls[1].parsed_arguments == json{{"dir", "."}});
}

TEST_CASE("a tool-call delta without index continues the most recent call", "[stream][tools]") {
  ToolCallAssembler a;
  a.add({{"index", 1}, {"id", "c1"}, {"function", {{"name", "f"}, {"arguments", "{\"a\""}}}});
  a.add({{"function", {{"arguments", ":1}"}}}});
  auto calls = a.finish();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].parsed_arguments == json{{"a", 1}});
}

TEST_CASE("a repeated tool name in later fragments is not doubled", "[stream][tools]") {
  ChatResponse r = assemble({
      tool_delta(json::array({{{"index", 0}, {"id", "c"}, {"function", {{"name", "search"}, {"arguments", "{"}}}}})),
      tool_delta(json::array({{{"index", 0}, {"id", "c"}, {"function", {{"name", "search"}, {"arguments", "}"}}}}})),
  });
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].name == "search");
  CHECK(r.tool_calls[0].arguments == "{}");
}

TEST_CASE("Ollama whole tool calls in one chunk", "[stream][tools]") {
  ChatResponse r = assemble({
      tool_delta(json::array({{{"id", "call_x1"},
                               {"index", 0},
                               {"type", "function"},
                               {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Oslo\"}"}}}},
                              {{"id", "call_x2"},
                               {"index", 1},
                               {"type", "function"},
                               {"function", {{"name", "get_time"}, {"arguments", "{\"tz\":\"CET\"}"}}}}})),
      chunk_with_delta(json::object(), "tool_calls"),
  });
  REQUIRE(r.tool_calls.size() == 2);
  CHECK(r.tool_calls[0].id == "call_x1");
  CHECK(r.tool_calls[0].name == "get_weather");
  CHECK(r.tool_calls[0].parsed_arguments == json{{"city", "Oslo"}});
  CHECK(r.tool_calls[1].id == "call_x2");
  CHECK(r.tool_calls[1].name == "get_time");
  CHECK(r.tool_calls[1].parsed_arguments == json{{"tz", "CET"}});
}

TEST_CASE("Ollama whole calls in separate chunks, both index 0, are two calls", "[stream][tools]") {
  ChatResponse r = assemble({
      tool_delta(json::array({{{"id", "call_a"},
                               {"index", 0},
                               {"type", "function"},
                               {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Oslo\"}"}}}}})),
      tool_delta(json::array({{{"id", "call_b"},
                               {"index", 0},
                               {"type", "function"},
                               {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Rome\"}"}}}}})),
  });
  REQUIRE(r.tool_calls.size() == 2);
  CHECK(r.tool_calls[0].id == "call_a");
  CHECK(r.tool_calls[0].name == "get_weather");
  CHECK(r.tool_calls[0].parsed_arguments == json{{"city", "Oslo"}});
  CHECK(r.tool_calls[1].id == "call_b");
  CHECK(r.tool_calls[1].name == "get_weather");
  CHECK(r.tool_calls[1].parsed_arguments == json{{"city", "Rome"}});
}

TEST_CASE("Ollama-native object arguments in a stream become JSON text", "[stream][tools]") {
  ChatResponse r = assemble({tool_delta(json::array(
      {{{"index", 0}, {"id", "c"}, {"function", {{"name", "f"}, {"arguments", {{"n", 3}}}}}}}))});
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(json::parse(r.tool_calls[0].arguments) == json{{"n", 3}});
  CHECK(r.tool_calls[0].parsed_arguments == json{{"n", 3}});
}

TEST_CASE("tool arguments that are not valid JSON are reported, naming the tool", "[stream][tools]") {
  ChatResponse r = assemble({
      tool_delta(json::array({{{"index", 0},
                               {"id", "call_bad"},
                               {"function", {{"name", "write_file"}, {"arguments", "{\"path\": \"a.txt\", "}}}}})),
  });
  REQUIRE(r.tool_calls.size() == 1);
  const auto& call = r.tool_calls[0];
  CHECK_FALSE(call.arguments_ok());
  CHECK_THAT(call.arguments_error, Catch::Contains("write_file") && Catch::Contains("not valid JSON"));
  CHECK_THAT(call.arguments_error, Catch::Contains("{\"path\": \"a.txt\", "));
  // The raw text is kept so it can be shown or handed back to the model.
  CHECK(call.arguments == "{\"path\": \"a.txt\", ");

  SECTION("valid JSON that is not an object is an error too") {
    ChatResponse s = assemble({tool_delta(
        json::array({{{"index", 0}, {"id", "c"}, {"function", {{"name", "calc"}, {"arguments", "[1,2]"}}}}}))});
    REQUIRE(s.tool_calls.size() == 1);
    CHECK_FALSE(s.tool_calls[0].arguments_ok());
    CHECK_THAT(s.tool_calls[0].arguments_error, Catch::Contains("calc") && Catch::Contains("not a JSON object"));
  }
}

TEST_CASE("empty tool arguments mean no arguments: {}", "[stream][tools]") {
  ChatResponse r = assemble({
      tool_delta(json::array({{{"index", 0},
                               {"id", "call_now"},
                               {"type", "function"},
                               {"function", {{"name", "get_time"}, {"arguments", ""}}}}})),
      tool_delta(json::array({{{"index", 1},
                               {"id", "call_ws"},
                               {"function", {{"name", "get_date"}, {"arguments", "  \n"}}}}})),
  });
  REQUIRE(r.tool_calls.size() == 2);
  for (const auto& call : r.tool_calls) {
    INFO(call.name);
    CHECK(call.arguments_ok());
    CHECK(call.parsed_arguments == json::object());
  }
}

TEST_CASE("reasoning deltas are collected apart from content", "[stream]") {
  ChatResponse r = assemble({
      chunk_with_delta({{"role", "assistant"}, {"reasoning_content", "Let me "}}),
      chunk_with_delta({{"reasoning_content", "think."}, {"content", nullptr}}),
      chunk_with_delta({{"content", "42"}}),
      chunk_with_delta(json::object(), "stop"),
  });
  CHECK(r.reasoning_content == "Let me think.");
  CHECK(r.content == "42");

  SECTION("the \"reasoning\" spelling (Ollama, newer vLLM) is collected too") {
    ChatResponse o = assemble({
        chunk_with_delta({{"reasoning", "Hmm"}}),
        chunk_with_delta({{"reasoning", "..."}}),
        chunk_with_delta({{"content", "yes"}}),
    });
    CHECK(o.reasoning_content == "Hmm...");
    CHECK(o.content == "yes");
  }
}

TEST_CASE("choices other than index 0 and malformed chunks are ignored", "[stream]") {
  json second_choice = {{"choices", json::array({{{"index", 1}, {"delta", {{"content", "other"}}}}})}};
  ChatResponse r = assemble({
      chunk_with_delta({{"content", "mine"}}),
      second_choice,
      json::array({1, 2}),
      json("text"),
      json{{"choices", "not an array"}},
      json{{"choices", json::array({{{"index", 0}, {"delta", "not an object"}}})}},
  });
  CHECK(r.content == "mine");
  CHECK(r.tool_calls.empty());
}

TEST_CASE("an assembler with a limit keeps the start of the text on a character boundary and counts the rest",
          "[stream]") {
  StreamAssembler a(5);
  a.add(chunk_with_delta({{"content", "h\xC3\xA9l"}}));    // 4 bytes, all kept
  a.add(chunk_with_delta({{"content", "\xC3\xB6rld"}}));   // "ö" would end past byte 5: cut here
  a.add(chunk_with_delta({{"content", "!"}}));             // a later small piece stays cut too
  a.add(tool_delta(json::array({{{"index", 0}, {"id", "call_1"}, {"function", {{"name", "f"}, {"arguments", "{}"}}}}})));
  a.add(chunk_with_delta(json::object(), "stop"));
  ChatResponse r = a.result();
  CHECK(r.content == "h\xC3\xA9l");
  CHECK(r.cut_bytes == 5 + 1 + 2);
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].name == "f");  // names are never cut: only text counts
  CHECK(r.tool_calls[0].arguments.empty());
  CHECK(r.finish_reason == "stop");
}

TEST_CASE("an assembler without a limit keeps everything and cuts nothing", "[stream]") {
  ChatResponse r = assemble({chunk_with_delta({{"content", std::string(100000, 'x')}})});
  CHECK(r.content.size() == 100000);
  CHECK(r.cut_bytes == 0);
}
