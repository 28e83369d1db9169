// llm::Client against the fake upstream over loopback: every request shape, both streaming
// styles, and every failure mapped to the error type a caller acts on.
#include "autoswarm/llm/client.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "autoswarm/llm/errors.h"
#include "support/fake_upstream.h"
#include "support/loopback.h"

using namespace autoswarm;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::FakeUpstreamOptions;
using autoswarm::testing::Flavor;
using nlohmann::json;

namespace {

llm::ClientOptions options_for(const std::string& url) {
  llm::ClientOptions o;
  o.base_url = llm::BaseUrl::parse(url);
  o.retry_backoff = std::chrono::milliseconds(10);
  o.read_timeout = std::chrono::seconds(10);
  return o;
}

llm::ChatRequest hello(const std::string& text = "hello") {
  llm::ChatRequest r;
  r.model = "fake-model";
  r.messages = json::array({{{"role", "user"}, {"content", text}}});
  return r;
}


}  // namespace

TEST_CASE("list_models reads each server's /v1/models", "[client]") {
  SECTION("vLLM lists its model") {
    FakeUpstream fake({.flavor = Flavor::kVllm, .models = {{"meta-llama/Llama-3.1-8B-Instruct", true}}});
    llm::Client client(options_for(fake.url()));
    auto models = client.list_models();
    REQUIRE(models.size() == 1);
    CHECK(models[0].id == "meta-llama/Llama-3.1-8B-Instruct");
    CHECK(models[0].owned_by == "vllm");
  }
  SECTION("Ollama on a fresh install answers data: null") {
    FakeUpstream fake({.flavor = Flavor::kOllama, .models = {}});
    llm::Client client(options_for(fake.url() + "/v1"));
    CHECK(client.list_models().empty());
  }
}

TEST_CASE("the base URL names the same upstream with or without /v1", "[client]") {
  FakeUpstream fake;
  for (const std::string& url : {fake.url(), fake.url() + "/v1", fake.url() + "/v1/"}) {
    llm::Client client(options_for(url));
    CHECK(client.chat(hello("ping")).content == "echo: ping");
  }
  for (const auto& r : fake.requests()) CHECK(r["path"] == "/v1/chat/completions");
}

TEST_CASE("AutoSwarm's own calls say so with X-Autoswarm-Internal, unless turned off", "[client]") {
  FakeUpstream fake;
  auto o = options_for(fake.url());
  llm::Client own(o);
  own.chat(hello("hi"));
  CHECK(fake.requests().back()["headers"]["X-Autoswarm-Internal"] == "1");
  own.chat_stream(hello("hi"), [](const json&, std::string_view) { return true; });
  CHECK(fake.requests().back()["headers"]["X-Autoswarm-Internal"] == "1");
  o.internal = false;
  llm::Client relay(o);
  relay.chat(hello("hi"));
  CHECK_FALSE(fake.requests().back()["headers"].contains("X-Autoswarm-Internal"));
}

TEST_CASE("chat sends the request as given and returns content and usage", "[client]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - match: {content: "capital"}
    reply:
      content: "Paris"
      usage: {prompt_tokens: 11, completion_tokens: 2, cached_tokens: 4}
)");
  auto o = options_for(fake.url());
  o.api_key = "sk-secret";
  llm::Client client(o);
  auto request = hello("capital of France?");
  request.temperature = 0.2;
  request.max_tokens = 64;
  request.tools = json::array({{{"type", "function"},
                                {"function", {{"name", "run_shell"}, {"parameters", {{"type", "object"}}}}}}});
  request.tool_choice = "auto";
  request.extra = {{"top_k", 40}, {"response_format", {{"type", "text"}}}};
  auto reply = client.chat(request);
  CHECK(reply.content == "Paris");
  CHECK(reply.finish_reason == "stop");
  CHECK(reply.usage.prompt_tokens == 11);
  CHECK(reply.usage.completion_tokens == 2);
  CHECK(reply.usage.cached_tokens == 4);

  auto seen = fake.requests().at(0);
  CHECK(seen["headers"]["Authorization"] == "Bearer sk-secret");
  CHECK(seen["body"]["temperature"] == 0.2);
  CHECK(seen["body"]["max_tokens"] == 64);
  CHECK(seen["body"]["top_k"] == 40);
  CHECK(seen["body"]["response_format"]["type"] == "text");
  CHECK(seen["body"]["tool_choice"] == "auto");
  CHECK(seen["body"]["tools"][0]["function"]["name"] == "run_shell");
  CHECK_FALSE(seen["body"].contains("stream"));
}

TEST_CASE("chat_stream delivers chunks as they arrive and assembles the reply", "[client]") {
  FakeUpstream fake({.flavor = Flavor::kLmStudio});
  fake.set_script(R"(
rules:
  - reply: {content: "The quick brown fox jumps over the lazy dog."}
    stream: {chunk_size: 3, crlf: true, comments: true}
)");
  llm::Client client(options_for(fake.url()));
  int chunks = 0;
  std::string seen_text;
  auto reply = client.chat_stream(hello(), [&](const json& chunk, std::string_view data) {
    ++chunks;
    CHECK(json::parse(data) == chunk);
    if (!chunk["choices"].empty()) seen_text += chunk["choices"][0]["delta"].value("content", "");
    return true;
  });
  CHECK(reply.content == "The quick brown fox jumps over the lazy dog.");
  CHECK(seen_text == reply.content);
  CHECK(chunks > 10);
  CHECK(reply.finish_reason == "stop");
  CHECK(reply.usage.reported);
  auto body = fake.requests().at(0)["body"];
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"]["include_usage"] == true);
}

TEST_CASE("chat_stream assembles tool calls in both streaming styles", "[client]") {
  auto flavor = GENERATE(Flavor::kLmStudio, Flavor::kOllama);
  FakeUpstream fake({.flavor = flavor});
  fake.set_script(R"(
rules:
  - reply:
      tool_calls:
        - {name: run_shell, arguments: {command: "ls -la /app"}}
        - {name: read_file, arguments: {path: "/app/main.py"}}
    stream: {chunk_size: 2}
)");
  llm::Client client(options_for(fake.url()));
  auto reply = client.chat_stream(hello(), [](const json&, std::string_view) { return true; });
  REQUIRE(reply.tool_calls.size() == 2);
  CHECK(reply.tool_calls[0].name == "run_shell");
  CHECK(reply.tool_calls[0].parsed_arguments == json{{"command", "ls -la /app"}});
  CHECK(reply.tool_calls[1].name == "read_file");
  CHECK(reply.tool_calls[1].parsed_arguments == json{{"path", "/app/main.py"}});
  CHECK(reply.finish_reason == "tool_calls");
}

TEST_CASE("tool-call arguments that are not JSON are reported, not thrown", "[client]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - reply:
      tool_calls: [{name: write_file, arguments: '{"path": "/tmp/x", "content": '}]
)");
  llm::Client client(options_for(fake.url()));
  auto reply = client.chat(hello());
  REQUIRE(reply.tool_calls.size() == 1);
  CHECK_FALSE(reply.tool_calls[0].arguments_ok());
  CHECK_THAT(reply.tool_calls[0].arguments_error, Catch::Contains("write_file"));
}

TEST_CASE("a refused connection names the URL and is retried", "[client]") {
  std::string url = autoswarm::testing::closed_loopback_url();
  llm::Client client(options_for(url));
  REQUIRE_THROWS_AS(client.chat(hello()), llm::ConnectionError);
  REQUIRE_THROWS_WITH(client.list_models(), Catch::Contains(url));
}

TEST_CASE("HTTP errors carry the upstream's own message", "[client]") {
  SECTION("LM Studio with no model loaded") {
    FakeUpstream fake({.flavor = Flavor::kLmStudio, .models = {{"qwen", false}}});
    llm::Client client(options_for(fake.url()));
    try {
      client.chat(hello());
      FAIL("expected HttpError");
    } catch (const llm::HttpError& e) {
      CHECK(e.status() == 404);
      CHECK_THAT(e.upstream_message(), Catch::StartsWith("No models loaded"));
      CHECK_THAT(std::string(e.what()), Catch::Contains(fake.url()));
    }
    CHECK(fake.requests().size() == 1);  // a 4xx is never retried
  }
  SECTION("Ollama unknown model") {
    FakeUpstream fake({.flavor = Flavor::kOllama, .models = {{"llama3:latest", true}}});
    llm::Client client(options_for(fake.url()));
    auto r = hello();
    r.model = "llama3.2";
    REQUIRE_THROWS_WITH(client.chat(r), Catch::Contains("try pulling it first"));
  }
  SECTION("plain-text 500 body") {
    FakeUpstream fake;
    fake.set_script("rules:\n  - fault: {status: 500, body: \"<html>Internal\\nServer Error</html>\"}\n");
    llm::Client client(options_for(fake.url()));
    try {
      client.chat(hello());
      FAIL("expected HttpError");
    } catch (const llm::HttpError& e) {
      CHECK(e.status() == 500);
      CHECK(e.upstream_message() == "<html>Internal Server Error</html>");
    }
    CHECK(fake.requests().size() == 1);
  }
}

TEST_CASE("429 and 503 are retried with backoff, then succeed", "[client]") {
  auto status = GENERATE(429, 503);
  FakeUpstream fake;
  fake.set_script("rules:\n  - times: 2\n    fault: {status: " + std::to_string(status) + "}\n");
  llm::Client client(options_for(fake.url()));
  CHECK(client.chat(hello("again")).content == "echo: again");
  CHECK(fake.requests().size() == 3);
}

TEST_CASE("retries stop after the configured count", "[client]") {
  FakeUpstream fake;
  fake.set_script("rules:\n  - fault: {status: 503}\n");
  auto o = options_for(fake.url());
  o.max_retries = 1;
  llm::Client client(o);
  REQUIRE_THROWS_AS(client.chat(hello()), llm::HttpError);
  CHECK(fake.requests().size() == 2);
}

TEST_CASE("a POST whose reply was cut mid-body is not sent again", "[client]") {
  FakeUpstream fake;
  fake.set_script("rules:\n  - fault: {cut_body: true}\n");
  llm::Client client(options_for(fake.url()));
  CHECK_THROWS_AS(client.chat(hello()), llm::ConnectionError);
  CHECK_THROWS_AS(client.post("/chat/completions", hello().to_json(false).dump()), llm::ConnectionError);
  CHECK(fake.requests().size() == 2);  // one each: the upstream may have run them
}

TEST_CASE("a 429 waits for its Retry-After before the retry, and a long one is left to the caller", "[client]") {
  FakeUpstream fake;
  SECTION("one second") {
    fake.set_script("rules:\n  - times: 1\n    fault: {status: 429, retry_after: '1'}\n");
    llm::Client client(options_for(fake.url()));
    auto started = std::chrono::steady_clock::now();
    CHECK(client.chat(hello("later")).content == "echo: later");
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(950));
    CHECK(fake.requests().size() == 2);
  }
  SECTION("an hour") {
    fake.set_script("rules:\n  - fault: {status: 429, retry_after: '3600'}\n");
    llm::Client client(options_for(fake.url()));
    try {
      client.chat(hello());
      FAIL("no HttpError");
    } catch (const llm::HttpError& e) {
      CHECK(e.status() == 429);
      CHECK(e.retry_after_seconds() == 3600);
    }
    CHECK(fake.requests().size() == 1);
  }
}

TEST_CASE("a slow upstream is a TimeoutError", "[client]") {
  FakeUpstream fake;
  fake.set_script("rules:\n  - fault: {first_byte_delay_ms: 1500}\n");
  auto o = options_for(fake.url());
  o.read_timeout = std::chrono::milliseconds(300);
  llm::Client client(o);
  REQUIRE_THROWS_AS(client.chat(hello()), llm::TimeoutError);
}

TEST_CASE("a reply that is not JSON is a ProtocolError", "[client]") {
  FakeUpstream fake;
  fake.set_script("rules:\n  - fault: {malformed_json: true}\n");
  llm::Client client(options_for(fake.url()));
  REQUIRE_THROWS_AS(client.chat(hello()), llm::ProtocolError);
}

TEST_CASE("a stream cut mid-way is a StreamError holding what arrived", "[client]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - reply: {content: "abcdefghijklmnopqrstuvwxyz"}
    stream: {chunk_size: 2}
    fault: {cut_after_events: 4}
)");
  llm::Client client(options_for(fake.url()));
  int chunks = 0;
  try {
    client.chat_stream(hello(), [&](const json&, std::string_view) { return ++chunks, true; });
    FAIL("expected StreamError");
  } catch (const llm::StreamError& e) {
    CHECK(chunks == 4);
    CHECK_FALSE(e.partial().content.empty());
    CHECK_THAT(std::string("abcdefghijklmnopqrstuvwxyz"), Catch::StartsWith(e.partial().content));
  }
  CHECK(fake.requests().size() == 1);  // never retried once chunks were delivered
}

TEST_CASE("an error event mid-stream (vLLM) is a StreamError after the handler saw it", "[client]") {
  FakeUpstream fake({.flavor = Flavor::kVllm});
  fake.set_script("rules:\n  - reply: {content: \"partial answer\"}\n    fault: {error_event_after: 2}\n");
  llm::Client client(options_for(fake.url()));
  bool saw_error_chunk = false;
  REQUIRE_THROWS_WITH(
      client.chat_stream(hello(), [&](const json& chunk, std::string_view) {
        saw_error_chunk = saw_error_chunk || chunk.contains("error");
        return true;
      }),
      Catch::Contains("fake mid-stream failure"));
  CHECK(saw_error_chunk);
}

TEST_CASE("a handler returning false cancels the stream", "[client]") {
  FakeUpstream fake;
  fake.set_script("rules:\n  - reply: {content: \"a long answer that keeps going and going\"}\n    stream: {chunk_size: 1}\n");
  llm::Client client(options_for(fake.url()));
  int chunks = 0;
  auto reply = client.chat_stream(hello(), [&](const json&, std::string_view) { return ++chunks < 3; });
  CHECK(reply.cancelled);
  CHECK(chunks == 3);
}

TEST_CASE("abort ends calls waiting on a slow model at once, and every later call", "[client]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - match: {content: slow}
    reply: {content: late}
    fault: {first_byte_delay_ms: 60000}
)");
  llm::ClientOptions o = options_for(fake.url());
  o.read_timeout = std::chrono::seconds(120);
  llm::Client client(o);
  auto started = std::chrono::steady_clock::now();
  std::string whole_error, stream_error;
  std::thread whole([&] {
    try {
      client.chat(hello("slow"));
    } catch (const llm::CancelledError& e) {
      whole_error = e.what();
    }
  });
  std::thread stream([&] {
    try {
      client.chat_stream(hello("slow"), [](const json&, std::string_view) { return true; });
    } catch (const llm::CancelledError& e) {
      stream_error = e.what();
    }
  });
  while (fake.requests().size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  client.abort();
  whole.join();
  stream.join();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  CHECK_THAT(whole_error, Catch::Contains("cancelled") && Catch::Contains(fake.url()));
  CHECK_THAT(stream_error, Catch::Contains("cancelled"));
  // Later calls fail before anything is sent.
  CHECK_THROWS_AS(client.chat(hello("quick")), llm::CancelledError);
  CHECK_THROWS_AS(client.list_models(), llm::CancelledError);
  CHECK(fake.requests().size() == 2);
}
