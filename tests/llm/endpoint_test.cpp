// Tests for llm/endpoint.h: the names of server kinds, and a client's options from an endpoint.
#include "autoswarm/llm/endpoint.h"

#include <catch2/catch.hpp>

#include "autoswarm/llm/client.h"

using autoswarm::llm::BaseUrl;
using autoswarm::llm::ClientOptions;
using autoswarm::llm::Endpoint;
using autoswarm::llm::ServerKind;

TEST_CASE("each server kind has the name the user reads", "[llm][endpoint]") {
  CHECK(std::string(display_name(ServerKind::kLmStudio)) == "LM Studio");
  CHECK(std::string(display_name(ServerKind::kOllama)) == "Ollama");
  CHECK(std::string(display_name(ServerKind::kVllm)) == "vLLM");
  CHECK(std::string(display_name(ServerKind::kCustom)) == "custom upstream");
}

TEST_CASE("a client for an endpoint talks to its URL with its key", "[llm][endpoint]") {
  Endpoint e{.kind = ServerKind::kOllama,
             .url = BaseUrl::parse("http://127.0.0.1:11434/v1"),
             .key = "sk-endpoint",
             .model = "llama3.2"};
  ClientOptions o = ClientOptions::for_endpoint(e);
  CHECK(o.base_url.str() == e.url.str());
  CHECK(o.api_key == "sk-endpoint");
  CHECK(o.max_retries == ClientOptions{}.max_retries);
}
