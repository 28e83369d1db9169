// The event-stream parser: every way a server may cut, end and decorate its lines must give
// the same events.
#include "autoswarm/llm/sse_parser.h"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "autoswarm/llm/errors.h"

using autoswarm::llm::ProtocolError;
using autoswarm::llm::SseEvent;
using autoswarm::llm::SseParser;

namespace {

using Events = std::vector<SseEvent>;

// Comparable form of an event for Catch2 messages.
using Triple = std::tuple<std::string, std::string, std::string>;

std::vector<Triple> triples(const Events& events) {
  std::vector<Triple> out;
  for (const auto& e : events) out.emplace_back(e.event, e.data, e.id);
  return out;
}

// Feeds `pieces` in order, then finishes the stream.
Events parse_pieces(const std::vector<std::string_view>& pieces, bool finish = true) {
  SseParser parser;
  Events out;
  auto on_event = [&](SseEvent&& e) { out.push_back(std::move(e)); };
  for (auto piece : pieces) parser.feed(piece, on_event);
  if (finish) parser.finish(on_event);
  return out;
}

Events parse_whole(std::string_view bytes, bool finish = true) {
  return parse_pieces({bytes}, finish);
}

Events parse_bytewise(std::string_view bytes) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < bytes.size(); ++i) pieces.push_back(bytes.substr(i, 1));
  return parse_pieces(pieces);
}

// A stream as LM Studio / vLLM / OpenAI send it: a role chunk, content, a tool call, the finish
// chunk, the usage chunk and [DONE], with a keep-alive comment in the middle.
const std::string kOpenAiStream =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen\","
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}]}\n"
    "\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n"
    "\n"
    ": keep-alive\n"
    "\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\u00e9\\n\"}}]}\n"
    "\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n"
    "\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
    "\"completion_tokens\":3,\"total_tokens\":15}}\n"
    "\n"
    "data: [DONE]\n"
    "\n";

std::vector<std::string> datas(const Events& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

}  // namespace

TEST_CASE("a realistic OpenAI stream parses into its data events", "[sse]") {
  Events events = parse_whole(kOpenAiStream);
  REQUIRE(events.size() == 6);
  CHECK(events[0].data ==
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen\","
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
        "\"finish_reason\":null}]}");
  CHECK(events[1].data ==
        "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}");
  CHECK(events[4].data.find("\"usage\"") != std::string::npos);
  CHECK(events[5].data == "[DONE]");
  for (const auto& e : events) {
    CHECK(e.event.empty());
    CHECK(e.id.empty());
  }
}

TEST_CASE("the stream split at every byte offset gives the same events", "[sse]") {
  const auto expected = triples(parse_whole(kOpenAiStream));
  REQUIRE(expected.size() == 6);
  const std::string_view all = kOpenAiStream;
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    INFO("cut at offset " << cut);
    REQUIRE(triples(parse_pieces({all.substr(0, cut), all.substr(cut)})) == expected);
  }
}

TEST_CASE("the stream fed one byte at a time gives the same events", "[sse]") {
  CHECK(triples(parse_bytewise(kOpenAiStream)) == triples(parse_whole(kOpenAiStream)));
}

TEST_CASE("events are delivered as soon as their blank line arrives", "[sse]") {
  SseParser parser;
  Events out;
  auto on_event = [&](SseEvent&& e) { out.push_back(std::move(e)); };
  parser.feed("data: one\n", on_event);
  CHECK(out.empty());
  parser.feed("\n", on_event);
  REQUIRE(out.size() == 1);
  CHECK(out[0].data == "one");
  parser.feed("data: two\n\ndata: thr", on_event);
  REQUIRE(out.size() == 2);
  CHECK(out[1].data == "two");
  parser.feed("ee\n\n", on_event);
  REQUIRE(out.size() == 3);
  CHECK(out[2].data == "three");
}

TEST_CASE("CRLF, LF and bare CR line endings all work", "[sse]") {
  const auto expected = datas(parse_whole(kOpenAiStream));
  SECTION("CRLF") {
    const std::string crlf = replace_all(kOpenAiStream, "\n", "\r\n");
    CHECK(datas(parse_whole(crlf)) == expected);
    CHECK(datas(parse_bytewise(crlf)) == expected);
    for (size_t cut = 0; cut <= crlf.size(); ++cut) {
      INFO("cut at offset " << cut);
      REQUIRE(datas(parse_pieces({std::string_view(crlf).substr(0, cut),
                                  std::string_view(crlf).substr(cut)})) == expected);
    }
  }
  SECTION("bare CR") {
    const std::string cr = replace_all(kOpenAiStream, "\n", "\r");
    CHECK(datas(parse_whole(cr)) == expected);
    CHECK(datas(parse_bytewise(cr)) == expected);
  }
  SECTION("mixed in one stream") {
    CHECK(datas(parse_whole("data: a\r\n\ndata: b\r\rdata: c\n\r\n")) ==
          std::vector<std::string>{"a", "b", "c"});
  }
}

TEST_CASE("a CR ending one feed and its LF starting the next are one line end", "[sse]") {
  // If the "\n" were taken for a second line end, the empty line would dispatch "a" early and
  // "b" would become a separate event.
  Events events = parse_pieces({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "a\nb");

  // A lone CR at the end of a feed that really is a line end on its own.
  Events cr_only = parse_pieces({"data: a\r", "\r", "data: b\r\r"});
  CHECK(datas(cr_only) == std::vector<std::string>{"a", "b"});

  // The LF after CR must be skipped only once, not stripped from a later line start.
  Events later = parse_pieces({"data: a\r", "", "\n", "\n"});
  CHECK(datas(later) == std::vector<std::string>{"a"});
}

TEST_CASE("comment lines are ignored", "[sse]") {
  Events events = parse_whole(": keep-alive\n\n:\n: another\ndata: x\n: between\ndata: y\n\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "x\ny");
}

TEST_CASE("several data lines join with a newline", "[sse]") {
  Events events = parse_whole("data: {\"a\":\ndata: 1}\ndata:\ndata: end\n\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "{\"a\":\n1}\n\nend");
}

TEST_CASE("data without a space after the colon keeps its whole value", "[sse]") {
  Events events = parse_whole("data:{\"x\":1}\n\ndata:  two spaces\n\n");
  REQUIRE(events.size() == 2);
  CHECK(events[0].data == "{\"x\":1}");
  // Only one leading space is removed.
  CHECK(events[1].data == " two spaces");
}

TEST_CASE("event and id fields are reported with their event", "[sse]") {
  Events events = parse_whole(
      "event: error\nid: 7\ndata: {\"error\":{\"message\":\"boom\"}}\n\n"
      "data: plain\n\n"
      "id:42\nevent:delta\ndata: x\nretry: 100\nunknown: field\n\n");
  REQUIRE(events.size() == 3);
  CHECK(events[0].event == "error");
  CHECK(events[0].id == "7");
  CHECK(events[0].data == "{\"error\":{\"message\":\"boom\"}}");
  CHECK(events[1].event.empty());
  CHECK(events[1].id.empty());
  CHECK(events[1].data == "plain");
  CHECK(events[2].event == "delta");
  CHECK(events[2].id == "42");
  CHECK(events[2].data == "x");
}

TEST_CASE("an event with an empty data line is delivered with empty data", "[sse]") {
  Events events = parse_whole("data:\n\ndata\n\ndata: \n\n");
  REQUIRE(events.size() == 3);
  for (const auto& e : events) CHECK(e.data.empty());
}

TEST_CASE("events without data lines are not dispatched", "[sse]") {
  Events events = parse_whole("event: ping\n\nid: 3\n\n\n\n: comment\n\nretry: 5\n\ndata: real\n\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "real");
  // The fields of the discarded events do not leak into the next one.
  CHECK(events[0].event.empty());
  CHECK(events[0].id.empty());
}

TEST_CASE("finish delivers a last event whose blank line never came", "[sse]") {
  SECTION("data line ended, blank line missing") {
    SseParser parser;
    Events out;
    auto on_event = [&](SseEvent&& e) { out.push_back(std::move(e)); };
    parser.feed("data: first\n\ndata: [DONE]\n", on_event);
    REQUIRE(out.size() == 1);
    parser.finish(on_event);
    REQUIRE(out.size() == 2);
    CHECK(out[1].data == "[DONE]");
  }
  SECTION("even the line end is missing") {
    CHECK(datas(parse_whole("event: x\ndata: a\ndata: tail")) ==
          std::vector<std::string>{"a\ntail"});
  }
  SECTION("nothing pending: finish adds nothing") {
    CHECK(parse_whole("data: a\n\n").size() == 1);
    CHECK(parse_whole("").empty());
    CHECK(parse_whole(": only a comment").empty());
    CHECK(parse_whole("event: no-data\n").empty());
  }
  SECTION("without finish the unterminated event is held back") {
    CHECK(parse_whole("data: a\n\ndata: tail", /*finish=*/false).size() == 1);
  }
}

TEST_CASE("a UTF-8 byte-order mark at the start is skipped", "[sse]") {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string stream = bom + kOpenAiStream;
  const auto expected = triples(parse_whole(kOpenAiStream));
  CHECK(triples(parse_whole(stream)) == expected);
  CHECK(triples(parse_bytewise(stream)) == expected);
  for (size_t cut = 0; cut <= 8; ++cut) {
    INFO("cut at offset " << cut);
    CHECK(triples(parse_pieces({std::string_view(stream).substr(0, cut),
                                std::string_view(stream).substr(cut)})) == expected);
  }
  SECTION("a BOM-like prefix that is not a BOM is kept") {
    // "\xEF\xBB" followed by something else is not a BOM: the field name keeps it, so the line
    // is an unknown field and the next data line still parses.
    CHECK(datas(parse_pieces({"\xEF", "\xBBX: 1\ndata: ok\n\n"})) ==
          std::vector<std::string>{"ok"});
  }
  SECTION("a BOM later in the stream is not stripped") {
    Events events = parse_whole("data: a\n\n" + bom + "data: b\n\n");
    // The second line's field is "\xEF\xBB\xBFdata", an unknown field: no second event.
    CHECK(datas(events) == std::vector<std::string>{"a"});
  }
}

TEST_CASE("a line longer than the maximum throws ProtocolError", "[sse]") {
  const size_t max = SseParser::kMaxLineBytes;
  const std::string piece(1024 * 1024, 'x');

  SECTION("fed in large pieces without a line end") {
    SseParser parser;
    auto ignore = [](SseEvent&&) {};
    parser.feed("data: ", ignore);
    size_t fed = 6;
    while (fed + piece.size() <= max) {
      parser.feed(piece, ignore);
      fed += piece.size();
    }
    CHECK_THROWS_AS(parser.feed(piece, ignore), ProtocolError);
  }
  SECTION("the message names the limit") {
    SseParser parser;
    std::string big(max + 1, 'x');
    CHECK_THROWS_WITH(parser.feed(big, [](SseEvent&&) {}),
                      Catch::Contains("line") && Catch::Contains(std::to_string(max)));
  }
  SECTION("whether the line end comes in the same feed does not matter") {
    SseParser parser;
    std::string big = "data: " + std::string(max, 'x') + "\n\n";
    CHECK_THROWS_AS(parser.feed(big, [](SseEvent&&) {}), ProtocolError);
  }
  SECTION("a line of exactly the maximum is accepted") {
    std::string line = "data: " + std::string(max - 6, 'y');
    REQUIRE(line.size() == max);
    Events events = parse_pieces({line.substr(0, max / 2), line.substr(max / 2), "\n\n"});
    REQUIRE(events.size() == 1);
    CHECK(events[0].data.size() == max - 6);
  }
}
