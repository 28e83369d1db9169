// Tests for llm/model_list.h: the /v1/models replies real servers send, and broken ones.
#include "autoswarm/llm/model_list.h"

#include <catch2/catch.hpp>

using autoswarm::llm::model_ids;
using autoswarm::llm::read_model_list;
using nlohmann::json;

TEST_CASE("a models reply gives its ids and owners in order", "[llm][models]") {
  auto models = read_model_list(json::parse(
      R"({"object":"list","data":[{"id":"qwen","owned_by":"organization_owner"},{"id":"llama3.2:latest"}]})"));
  REQUIRE(models);
  REQUIRE(models->size() == 2);
  CHECK(models->at(0).id == "qwen");
  CHECK(models->at(0).owned_by == "organization_owner");
  CHECK(models->at(1).owned_by.empty());
  CHECK(model_ids(*models) == std::vector<std::string>{"qwen", "llama3.2:latest"});
}

TEST_CASE("Ollama's null data is an empty list", "[llm][models]") {
  auto models = read_model_list(json::parse(R"({"object":"list","data":null})"));
  REQUIRE(models);
  CHECK(models->empty());
}

TEST_CASE("entries without a string id are skipped", "[llm][models]") {
  auto models = read_model_list(json::parse(R"({"data":[{"id":""},{"id":7},"x",{"name":"a"},{"id":"ok"}]})"));
  REQUIRE(models);
  CHECK(model_ids(*models) == std::vector<std::string>{"ok"});
}

TEST_CASE("a reply without a data list is not a model list", "[llm][models]") {
  CHECK_FALSE(read_model_list(json::parse(R"({"models":[]})")));
  CHECK_FALSE(read_model_list(json::parse(R"({"data":"qwen"})")));
  CHECK_FALSE(read_model_list(json::parse(R"([{"id":"qwen"}])")));
}
