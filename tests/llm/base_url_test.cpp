// Upstream addresses: every accepted spelling normalises to one form; every bad one is refused
// with a message that shows it.
#include "autoswarm/llm/base_url.h"

#include <catch2/catch.hpp>

#include <string>

#include "autoswarm/util/error.h"

using autoswarm::UsageError;
using autoswarm::llm::BaseUrl;

TEST_CASE("a URL without /v1", "[base_url]") {
  BaseUrl u = BaseUrl::parse("http://127.0.0.1:11434");
  CHECK(u.scheme == "http");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 11434);
  CHECK(u.prefix.empty());
  CHECK(u.origin() == "http://127.0.0.1:11434");
  CHECK(u.str() == "http://127.0.0.1:11434/v1");
  CHECK(u.api_path("/models") == "/v1/models");
  CHECK(u.api_path("/chat/completions") == "/v1/chat/completions");
  CHECK(u.root_path("/api/tags") == "/api/tags");
}

TEST_CASE("with /v1, with and without a trailing slash, all name the same upstream", "[base_url]") {
  const BaseUrl plain = BaseUrl::parse("http://127.0.0.1:11434");
  for (const char* spelling : {"http://127.0.0.1:11434/", "http://127.0.0.1:11434/v1",
                               "http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434//v1//"}) {
    INFO(spelling);
    BaseUrl u = BaseUrl::parse(spelling);
    CHECK(u == plain);
    CHECK(u.str() == "http://127.0.0.1:11434/v1");
    CHECK(u.api_path("/models") == "/v1/models");
  }
}

TEST_CASE("default ports follow the scheme", "[base_url]") {
  BaseUrl https = BaseUrl::parse("https://api.openai.com/v1");
  CHECK(https.scheme == "https");
  CHECK(https.host == "api.openai.com");
  CHECK(https.port == 443);
  CHECK(https.origin() == "https://api.openai.com:443");
  CHECK(https.str() == "https://api.openai.com:443/v1");

  BaseUrl http = BaseUrl::parse("http://localhost");
  CHECK(http.scheme == "http");
  CHECK(http.host == "localhost");
  CHECK(http.port == 80);
  CHECK(http.str() == "http://localhost:80/v1");

  // An explicit default port is the same upstream as an implicit one.
  CHECK(BaseUrl::parse("http://localhost:80/v1") == http);
}

TEST_CASE("an explicit port", "[base_url]") {
  BaseUrl u = BaseUrl::parse("http://gpu-box:8000/v1");
  CHECK(u.host == "gpu-box");
  CHECK(u.port == 8000);
  CHECK(u.str() == "http://gpu-box:8000/v1");
  CHECK(BaseUrl::parse("https://h:1").port == 1);
  CHECK(BaseUrl::parse("https://h:65535").port == 65535);
}

TEST_CASE("an IPv6 address in brackets", "[base_url]") {
  BaseUrl u = BaseUrl::parse("http://[::1]:8080/v1");
  CHECK(u.host == "::1");
  CHECK(u.port == 8080);
  CHECK(u.origin() == "http://[::1]:8080");
  CHECK(u.str() == "http://[::1]:8080/v1");

  BaseUrl no_port = BaseUrl::parse("https://[fe80::1]");
  CHECK(no_port.host == "fe80::1");
  CHECK(no_port.port == 443);
  CHECK(no_port.origin() == "https://[fe80::1]:443");
}

TEST_CASE("a path prefix before /v1 is kept", "[base_url]") {
  BaseUrl u = BaseUrl::parse("https://host/openai/v1");
  CHECK(u.host == "host");
  CHECK(u.prefix == "/openai");
  CHECK(u.str() == "https://host:443/openai/v1");
  CHECK(u.api_path("/models") == "/openai/v1/models");
  CHECK(u.root_path("/health") == "/openai/health");

  CHECK(BaseUrl::parse("https://host/openai/v1/") == u);
  CHECK(BaseUrl::parse("https://host/openai") == u);
  CHECK(BaseUrl::parse("https://host/openai/") == u);
  CHECK(BaseUrl::parse("http://h/a/b/v1").prefix == "/a/b");
  // Only a whole trailing "v1" segment is dropped.
  CHECK(BaseUrl::parse("http://h/apiv1").prefix == "/apiv1");
  CHECK(BaseUrl::parse("http://h/v1/x").prefix == "/v1/x");
}

TEST_CASE("str() is canonical: parsing it again gives the same URL", "[base_url]") {
  for (const char* spelling : {"http://127.0.0.1:11434", "https://host/openai/v1/",
                               "http://[::1]:8080", "https://api.example.com"}) {
    INFO(spelling);
    BaseUrl u = BaseUrl::parse(spelling);
    CHECK(BaseUrl::parse(u.str()) == u);
    CHECK(BaseUrl::parse(u.str()).str() == u.str());
  }
}

TEST_CASE("malformed URLs are refused with a UsageError that shows them", "[base_url]") {
  const char* bad[] = {
      "127.0.0.1:11434",                  // no scheme
      "localhost",                        // no scheme
      "ftp://example.com/v1",             // wrong scheme
      "http://",                          // empty host
      "http:///v1",                       // empty host
      "http://:8080/v1",                  // empty host
      "http://localhost:0",               // port 0
      "http://localhost:99999/v1",        // port too large
      "http://localhost:abc",             // port not a number
      "http://localhost:80x",             // trailing junk in the port
      "http://localhost:-1",              // negative port
      "http://localhost:8080/v1?key=1",   // query string
      "http://localhost:8080?key=1",      // query string without path
      "http://localhost/v1#frag",         // fragment
      "http://user:pass@localhost:8080",  // credentials
      "http://[::1:8080/v1",              // unterminated IPv6
      "http://[::1]x/v1",                 // junk after IPv6
  };
  for (const char* url : bad) {
    INFO(url);
    try {
      (void)BaseUrl::parse(url);
      FAIL("accepted " << url);
    } catch (const UsageError& e) {
      CHECK_THAT(e.what(), Catch::Contains(std::string("'") + url + "'"));
      // The message says what is accepted.
      CHECK_THAT(e.what(), Catch::Contains("http"));
    }
  }
}

TEST_CASE("the error explains the problem", "[base_url]") {
  CHECK_THROWS_WITH(BaseUrl::parse("ftp://x"), Catch::Contains("http:// or https://"));
  CHECK_THROWS_WITH(BaseUrl::parse("http://h:0"), Catch::Contains("1 to 65535"));
  CHECK_THROWS_WITH(BaseUrl::parse("http://h?q"), Catch::Contains("query"));
  CHECK_THROWS_WITH(BaseUrl::parse("http://u:p@h"), Catch::Contains("--api-key"));
  CHECK_THROWS_WITH(BaseUrl::parse("http://:1"), Catch::Contains("host"));
}
