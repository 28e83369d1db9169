// Reading the conversation log back: segment names, for_each_record over segments and older
// versions' files, what it skips and says, and loading one record again.
#include "autoswarm/conversations/conversation_files.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "autoswarm/util/error.h"
#include "conversations/segment_test_support.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using autoswarm::FileError;
using autoswarm::conversations::Conversation;
using autoswarm::conversations::for_each_record;
using autoswarm::conversations::list_legacy_record_ids;
using autoswarm::conversations::list_records;
using autoswarm::conversations::list_segments;
using autoswarm::conversations::load_conversation;
using autoswarm::conversations::LoggedRecord;
using autoswarm::conversations::parse_conversation;
using autoswarm::conversations::ReadOptions;
using autoswarm::conversations::RecordRef;
using autoswarm::conversations::SegmentName;
using autoswarm::testing::CapturedLog;
using autoswarm::testing::record_ids;
using autoswarm::testing::TempDir;

namespace {

void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace

TEST_CASE("parse_conversation reads a record's fields from its text", "[conversations]") {
  Conversation c = parse_conversation(
      R"({"id":"c1","model":"qwen","status":502,"error":"upstream closed",)"
      R"("messages":[{"role":"user","content":"hi"}],"reply":{"content":"","finish_reason":"stop"},)"
      R"("injected_skills":["sk-1"]})",
      "conversations/c1.json");
  CHECK(c.id == "c1");
  CHECK(c.model == "qwen");
  CHECK(c.status == 502);
  CHECK(c.failed());
  CHECK(c.injected_skills == std::vector<std::string>{"sk-1"});
  CHECK(c.messages.size() == 1);
}

TEST_CASE("parse_conversation names the file when the text is not a record", "[conversations]") {
  CHECK_THROWS_WITH(parse_conversation("{\"id\": ", "conversations/c2.json"),
                    "conversations/c2.json: not valid JSON");
  CHECK_THROWS_WITH(parse_conversation("[1, 2]", "conversations/c3.json"),
                    Catch::StartsWith("conversations/c3.json: not a conversation record"));
  CHECK_THROWS_AS(parse_conversation(R"({"messages":[{"role":5,"content":"x"}]})", "c4.json"), FileError);
}

TEST_CASE("segment names are the day, then the part after the first, and sort oldest first", "[conversations]") {
  CHECK(SegmentName{"2026-11-29", 0}.file_name() == "2026-11-29.jsonl");
  CHECK(SegmentName{"2026-11-29", 3}.file_name() == "2026-11-29.3.jsonl");
  CHECK(SegmentName::parse("2026-11-29.12.jsonl") == SegmentName{"2026-11-29", 12});
  for (const char* not_one : {"reviewed.jsonl", "2026-11-29.json", "2026-11-29.0.jsonl", "2026-11-29.01.jsonl",
                              "2026-11-29.x.jsonl", "2026-11-29..jsonl", "2026-1-29.jsonl", ".2026-11-29.jsonl"}) {
    INFO(not_one);
    CHECK_FALSE(SegmentName::parse(not_one));
  }
  TempDir dir;
  for (const char* name : {"2026-11-30.jsonl", "2026-11-29.10.jsonl", "2026-11-29.jsonl", "2026-11-29.2.jsonl",
                           "reviewed.jsonl", "c1.json"}) {
    write(dir / name, "");
  }
  std::vector<std::string> names;
  for (const auto& s : list_segments(dir.path())) names.push_back(s.file_name());
  CHECK(names == std::vector<std::string>{"2026-11-29.jsonl", "2026-11-29.2.jsonl", "2026-11-29.10.jsonl",
                                          "2026-11-30.jsonl"});
  CHECK(list_segments(dir / "missing").empty());
}

TEST_CASE("older versions' record files are listed by id, skipping temp and other files", "[conversations]") {
  TempDir dir;
  for (const char* name : {"20260102T000000.000Z-bbbbbb.json", "20260101T000000.000Z-aaaaaa.json",
                           ".20260103T000000.000Z-cccccc.json.tmp-XyZ123", "reviewed.jsonl", "notes.txt",
                           "2026-01-01.jsonl"}) {
    write(dir / name, "{}");
  }
  std::filesystem::create_directory(dir / "sub.json");
  CHECK(list_legacy_record_ids(dir.path()) ==
        std::vector<std::string>{"20260101T000000.000Z-aaaaaa", "20260102T000000.000Z-bbbbbb"});
  CHECK(list_legacy_record_ids(dir / "missing").empty());
}

TEST_CASE("every record is read oldest first: older versions' files, then each segment line by line",
          "[conversations]") {
  TempDir dir;
  CapturedLog captured;
  write(dir / "2026-01-02.jsonl", "{\"id\":\"s3\"}\n\n{\"id\":\"s4\",\"n\":4}\n");
  write(dir / "2026-01-01.1.jsonl", "{\"id\":\"s2\"}\n");
  write(dir / "2026-01-01.jsonl", "{\"id\":\"s1\"}\n");
  write(dir / "f2.json", "{\"id\": \"f2\"}");
  write(dir / "f1.json", "{\n  \"model\": \"old\"\n}\n");  // an older version's file: its name is the id
  write(dir / "reviewed.jsonl", "{\"id\":\"s1\",\"outcome\":\"skipped\"}\n");
  CHECK(record_ids(dir.path()) == std::vector<std::string>{"f1", "f2", "s1", "s2", "s3", "s4"});
  CHECK(record_ids(dir.path(), {.legacy_files = false}) == std::vector<std::string>{"s1", "s2", "s3", "s4"});
  CHECK(record_ids(dir.path(), {.segments = false}) == std::vector<std::string>{"f1", "f2"});
  CHECK(record_ids(dir / "missing").empty());
  CHECK(captured.messages().empty());

  std::vector<LoggedRecord> records;
  for_each_record(dir.path(), [&](LoggedRecord& r) { records.push_back(r); });
  REQUIRE(records.size() == 6);
  CHECK(records[0].record["model"] == "old");
  CHECK(records[0].where.origin() == (dir / "f1.json").string());
  CHECK(records[5].record["n"] == 4);
  CHECK(records[5].where.origin() == (dir / "2026-01-02.jsonl").string() + ":3");
  CHECK(records[5].where.offset == 13);
  CHECK(records[5].where.length == 17);
}

TEST_CASE("a torn last line is ignored without a word", "[conversations]") {
  TempDir dir;
  CapturedLog captured;
  write(dir / "2026-01-01.jsonl", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"mess");
  CHECK(record_ids(dir.path()) == std::vector<std::string>{"a", "b"});
  write(dir / "2026-01-01.jsonl", "{\"id\":\"whole-but-unended\"}");
  CHECK(record_ids(dir.path()).empty());
  CHECK(captured.messages().empty());
}

TEST_CASE("a malformed line is skipped with a warning naming file and line, and the rest is read", "[conversations]") {
  TempDir dir;
  CapturedLog captured;
  write(dir / "2026-01-01.jsonl", "{\"id\":\"a\"}\n{not json}\n[1,2]\n{\"id\":7}\n{\"id\":\"b\"}\n");
  write(dir / "bad.json", "{\"half");
  write(dir / "list.json", "[]");
  CHECK(record_ids(dir.path()) == std::vector<std::string>{"a", "b"});
  const std::string segment = (dir / "2026-01-01.jsonl").string();
  const auto messages = captured.messages();
  REQUIRE(messages.size() == 5);
  CHECK_THAT(messages[0], Catch::StartsWith((dir / "bad.json").string() + ": not a conversation record (not valid JSON"));
  CHECK_THAT(messages[1], Catch::StartsWith((dir / "list.json").string() + ": not a conversation record (not a JSON object"));
  CHECK_THAT(messages[2], Catch::StartsWith(segment + ":2: not valid JSON"));
  CHECK_THAT(messages[3], Catch::StartsWith(segment + ":3: not a conversation record"));
  CHECK_THAT(messages[4], Catch::StartsWith(segment + ":4: not a conversation record"));
}

TEST_CASE("a line longer than the record limit is skipped with a warning, never read whole", "[conversations]") {
  TempDir dir;
  CapturedLog captured;
  const std::string long_line = "{\"id\":\"long\",\"pad\":\"" + std::string(100, 'x') + "\"}";
  write(dir / "2026-01-01.jsonl", "{\"id\":\"a\",\"pad\":\"abcdefghij\"}\n" + long_line + "\n{\"id\":\"b\"}\n" + long_line);
  write(dir / "big.json", long_line);
  // Chunks of 7 bytes: lines are put together across reads, and the long one is dropped as it goes.
  const ReadOptions small{.max_record_bytes = 64, .read_chunk_bytes = 7};
  CHECK(record_ids(dir.path(), small) == std::vector<std::string>{"a", "b"});
  const auto messages = captured.messages();
  REQUIRE(messages.size() == 2);  // not the torn long tail
  CHECK_THAT(messages[0], Catch::StartsWith((dir / "big.json").string() + ": 122 bytes, longer than the 64"));
  CHECK(messages[1] == (dir / "2026-01-01.jsonl").string() + ":2: a line of 122 bytes, longer than the 64 a record may have; skipped");
  CHECK(record_ids(dir.path(), {.read_chunk_bytes = 7}) == std::vector<std::string>{"big", "a", "long", "b"});
}

TEST_CASE("a record in an older version's file and in a segment is read once, from the file", "[conversations]") {
  TempDir dir;
  write(dir / "c1.json", "{\"id\":\"c1\",\"model\":\"from-file\"}");
  write(dir / "2026-01-01.jsonl", "{\"id\":\"c1\",\"model\":\"from-segment\"}\n{\"id\":\"c2\"}\n{\"id\":\"c2\"}\n");
  std::vector<std::string> models;
  for_each_record(dir.path(), [&](LoggedRecord& r) { models.push_back(r.id + ":" + r.record.value("model", "-")); });
  CHECK(models == std::vector<std::string>{"c1:from-file", "c2:-"});
}

TEST_CASE("a listed record loads into its fields, from a segment line or a file", "[conversations]") {
  TempDir dir;
  write(dir / "2026-01-01.jsonl",
        "{\"id\":\"c0\"}\n"
        R"({"id": "c1", "started_at": "2026-01-01T00:00:00.000Z", "model": "qwen",)"
        R"( "messages": [{"role": "user", "content": "hi"}], "injected_skills": ["sk-1"],)"
        R"( "reply": {"content": "hello", "tool_calls": [], "finish_reason": "stop"},)"
        R"( "status": 200, "error": null, "client_disconnected": false})"
        "\n"
        R"({"id": "c2", "messages": [], "status": 502, "error": "upstream down"})"
        "\n"
        R"({"id": "c3", "messages": "hi"})"
        "\n");
  write(dir / "c4.json", R"({"status": 200, "error": "cut mid-stream"})");
  const std::vector<RecordRef> refs = list_records(dir.path());
  REQUIRE(refs.size() == 5);
  CHECK(refs[0].id == "c4");
  CHECK(load_conversation(refs[0]).id == "c4");  // the file's name
  CHECK(load_conversation(refs[0]).failed());
  Conversation c = load_conversation(refs[2]);
  CHECK(c.id == "c1");
  CHECK(c.model == "qwen");
  CHECK(c.reply_content == "hello");
  CHECK(c.injected_skills == std::vector<std::string>{"sk-1"});
  CHECK_FALSE(c.failed());
  CHECK(load_conversation(refs[3]).failed());
  CHECK_THROWS_WITH(load_conversation(refs[4]),
                    Catch::StartsWith((dir / "2026-01-01.jsonl").string() + ":4: 'messages' must be a list (got "));
  // A segment rewritten since it was listed is not read as if it were the same.
  write(dir / "2026-01-01.jsonl", "{\"id\":\"cX\"}\n{\"id\":\"c1\"}\n");
  CHECK_THROWS_AS(load_conversation(refs[2]), FileError);
}
