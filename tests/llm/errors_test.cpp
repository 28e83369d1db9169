// Upstream error bodies in every shape the supported servers send, and the messages built on them.
#include "autoswarm/llm/errors.h"

#include <catch2/catch.hpp>

#include <string>

using autoswarm::llm::ErrorBody;
using autoswarm::llm::HttpError;
using autoswarm::llm::LlmError;
using autoswarm::llm::parse_error_body;

TEST_CASE("OpenAI error body", "[errors]") {
  ErrorBody e = parse_error_body(
      R"({"error":{"message":"Incorrect API key provided: sk-abc.","type":"invalid_request_error",)"
      R"("param":null,"code":"invalid_api_key"}})");
  CHECK(e.message == "Incorrect API key provided: sk-abc.");
  CHECK(e.type == "invalid_request_error");
}

TEST_CASE("vLLM error body, old top-level shape", "[errors]") {
  ErrorBody e = parse_error_body(
      R"({"object":"error","message":"The model `x` does not exist.","type":"NotFoundError",)"
      R"("param":null,"code":404})");
  CHECK(e.message == "The model `x` does not exist.");
  CHECK(e.type == "NotFoundError");
}

TEST_CASE("vLLM error body, new nested shape with integer code", "[errors]") {
  ErrorBody e = parse_error_body(
      R"({"error":{"message":"This model's maximum context length is 4096 tokens.",)"
      R"("type":"BadRequestError","param":null,"code":400}})");
  CHECK(e.message == "This model's maximum context length is 4096 tokens.");
  CHECK(e.type == "BadRequestError");
}

TEST_CASE("Ollama error body", "[errors]") {
  ErrorBody e = parse_error_body(R"({"error":"model not found"})");
  CHECK(e.message == "model not found");
  CHECK(e.type.empty());
}

TEST_CASE("LM Studio 'No models loaded' body", "[errors]") {
  ErrorBody e = parse_error_body(
      "{\n  \"error\": {\n    \"message\": \"No models loaded. Please load a model in the developer "
      "page or use the `lms load` command.\",\n    \"type\": \"invalid_request_error\",\n"
      "    \"param\": \"model\",\n    \"code\": \"model_not_found\"\n  }\n}");
  CHECK(e.message ==
        "No models loaded. Please load a model in the developer page or use the `lms load` command.");
  CHECK(e.type == "invalid_request_error");
}

TEST_CASE("FastAPI detail body", "[errors]") {
  CHECK(parse_error_body(R"({"detail":"Not Found"})").message == "Not Found");
}

TEST_CASE("plain text body is trimmed and flattened", "[errors]") {
  ErrorBody e = parse_error_body("  \n\tInternal Server Error\r\nretry later\n\n");
  CHECK(e.message == "Internal Server Error  retry later");
  CHECK(e.type.empty());
}

TEST_CASE("long plain text is shortened with ...", "[errors]") {
  std::string body(2000, 'a');
  ErrorBody e = parse_error_body(body);
  CHECK(e.message.size() < 400);
  CHECK(e.message.size() > 100);
  CHECK_THAT(e.message, Catch::EndsWith("...") && Catch::StartsWith("aaaa"));

  SECTION("a short text is not shortened") {
    CHECK(parse_error_body("bad gateway").message == "bad gateway");
  }
  SECTION("shortening never cuts a UTF-8 character in half") {
    // 2-byte characters at every offset: whatever the cut point, the result must stay valid
    // UTF-8, since messages end up in JSON error replies.
    for (std::string prefix : {"", "x"}) {
      std::string text = prefix;
      for (int i = 0; i < 400; ++i) text += "\xC3\xA9";  // é
      ErrorBody s = parse_error_body(text);
      INFO("prefix '" << prefix << "'");
      CHECK_THAT(s.message, Catch::EndsWith("..."));
      CHECK_NOTHROW(nlohmann::json(s.message).dump());
    }
  }
}

TEST_CASE("empty and blank bodies give an empty message", "[errors]") {
  CHECK(parse_error_body("").message.empty());
  CHECK(parse_error_body(" \r\n\t ").message.empty());
}

TEST_CASE("HTML body is summarised as text on one line", "[errors]") {
  ErrorBody e = parse_error_body(
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
      "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
  CHECK_THAT(e.message, Catch::Contains("502 Bad Gateway") && Catch::StartsWith("<html>") &&
                            Catch::EndsWith("</html>"));
  CHECK(e.message.find('\n') == std::string::npos);
  CHECK(e.message.find('\r') == std::string::npos);
}

TEST_CASE("JSON that is not an error object is quoted as text", "[errors]") {
  CHECK(parse_error_body(R"([{"error":"x"}])").message == R"([{"error":"x"}])");
  CHECK(parse_error_body(R"({"status":"busy"})").message == R"({"status":"busy"})");
  CHECK(parse_error_body("42").message == "42");
}

TEST_CASE("truncated and odd JSON never throws", "[errors]") {
  const char* bodies[] = {
      R"({"error":{"message":"boom")",
      R"({"error":)",
      "{",
      "\xFF\xFE{\"error\":\"x\"}",
      R"({"error":null})",
      R"({"error":{"message":{"nested":true},"type":7}})",
      R"({"error":{}})",
      R"({"object":"error"})",
      "null",
  };
  for (const char* body : bodies) {
    INFO(body);
    CHECK_NOTHROW(parse_error_body(body));
  }
  CHECK(parse_error_body(R"({"error":{"message":"boom")").message == R"({"error":{"message":"boom")");
  // A non-string message is shown as its JSON rather than lost.
  ErrorBody odd = parse_error_body(R"({"error":{"message":{"nested":true},"type":7}})");
  CHECK(odd.message == R"({"nested":true})");
  CHECK(odd.type == "7");
}

TEST_CASE("HttpError names the status, the URL and the upstream message", "[errors]") {
  HttpError e(404, "model not found", "NotFoundError", "http://127.0.0.1:11434/v1");
  std::string what = e.what();
  CHECK_THAT(what, Catch::Contains("404") && Catch::Contains("http://127.0.0.1:11434/v1") &&
                       Catch::Contains("model not found"));
  CHECK(e.status() == 404);
  CHECK(e.upstream_message() == "model not found");
  CHECK(e.type() == "NotFoundError");
  // Callers catch the family by its base.
  const LlmError& base = e;
  CHECK(std::string(base.what()) == what);

  SECTION("without an upstream message there is no dangling separator") {
    HttpError bare(503, "", "", "http://gpu-box:8000/v1");
    std::string w = bare.what();
    CHECK_THAT(w, Catch::Contains("503") && Catch::Contains("http://gpu-box:8000/v1"));
    CHECK_THAT(w, !Catch::EndsWith(": ") && !Catch::EndsWith(":"));
  }
}
