// The Ollama model routes (/api/tags, /api/ps, /api/show, /api/embed, /api/embeddings) as the
// proxy answers them from an OpenAI-style upstream's /v1/models and /v1/embeddings.
#include "autoswarm/client_api/ollama_models.h"

#include <catch2/catch.hpp>

#include <string>

using autoswarm::client_api::ollama_embed_from_openai;
using autoswarm::client_api::ollama_embedding_from_openai;
using autoswarm::client_api::ollama_ps;
using autoswarm::client_api::ollama_show;
using autoswarm::client_api::ollama_tags;
using autoswarm::client_api::openai_embeddings_request_from_ollama;
using nlohmann::json;

namespace ollama_models_test {

json models_body() {
  return {{"object", "list"},
          {"data",
           {{{"id", "qwen3-8b"}, {"object", "model"}, {"created", 1751919739}, {"max_model_len", 32768}},
            {{"id", "llama3.2:latest"}, {"object", "model"}},
            {{"object", "model"}},
            {{"id", 5}}}}};
}

json empty_details() {
  return {{"format", ""}, {"family", ""}, {"parameter_size", ""}, {"quantization_level", ""}};
}

std::string refusal(const json& body, bool legacy) {
  std::string problem;
  std::optional<json> out = openai_embeddings_request_from_ollama(body, legacy, &problem);
  if (out) return "";
  CHECK_FALSE(problem.empty());
  return problem;
}

TEST_CASE("/api/tags lists each model with an id under its id, sizes and digests empty", "[ollama]") {
  CHECK(ollama_tags(models_body()) ==
        json{{"models",
              {{{"name", "qwen3-8b"}, {"model", "qwen3-8b"}, {"modified_at", "2025-07-07T20:22:19Z"}, {"size", 0},
                {"digest", ""}, {"details", empty_details()}},
               {{"name", "llama3.2:latest"}, {"model", "llama3.2:latest"}, {"modified_at", "1970-01-01T00:00:00Z"},
                {"size", 0}, {"digest", ""}, {"details", empty_details()}}}}});
  CHECK(ollama_tags({{"data", nullptr}}) == json{{"models", json::array()}});
  CHECK(ollama_tags("not a list") == json{{"models", json::array()}});
}

TEST_CASE("/api/ps lists the same models as loaded for good, with the context length when known", "[ollama]") {
  json ps = ollama_ps(models_body());
  REQUIRE(ps["models"].size() == 2);
  CHECK(ps["models"][0] == json{{"name", "qwen3-8b"}, {"model", "qwen3-8b"}, {"modified_at", "2025-07-07T20:22:19Z"},
                                {"size", 0}, {"digest", ""}, {"details", empty_details()},
                                {"expires_at", "2318-01-01T00:00:00Z"}, {"size_vram", 0}, {"context_length", 32768}});
  CHECK_FALSE(ps["models"][1].contains("context_length"));
  CHECK(ps["models"][1]["size_vram"] == 0);
}

TEST_CASE("/api/show describes a listed model and knows nothing of others", "[ollama]") {
  std::optional<json> show = ollama_show(models_body(), "qwen3-8b");
  REQUIRE(show);
  CHECK(*show == json{{"modelfile", ""}, {"parameters", ""}, {"template", ""}, {"details", empty_details()},
                      {"model_info", json::object()}, {"capabilities", {"completion", "tools"}},
                      {"modified_at", "2025-07-07T20:22:19Z"}});
  CHECK(ollama_show(models_body(), "qwen3-8b:latest"));
  CHECK(ollama_show(models_body(), "llama3.2"));
  CHECK(ollama_show(models_body(), "llama3.2:latest"));
  CHECK_FALSE(ollama_show(models_body(), "mistral"));
  CHECK_FALSE(ollama_show(models_body(), ""));
  CHECK_FALSE(ollama_show(json::array(), "qwen3-8b"));
}

TEST_CASE("/api/embed replies with the vectors in input order and the prompt's token count", "[ollama]") {
  json openai = {{"object", "list"},
                 {"model", "nomic-embed"},
                 {"data",
                  {{{"object", "embedding"}, {"index", 1}, {"embedding", {0.3, 0.4}}},
                   {{"object", "embedding"}, {"index", 0}, {"embedding", {0.1, 0.2}}}}},
                 {"usage", {{"prompt_tokens", 8}, {"total_tokens", 8}}}};
  CHECK(ollama_embed_from_openai(openai) ==
        json{{"model", "nomic-embed"}, {"embeddings", {{0.1, 0.2}, {0.3, 0.4}}}, {"prompt_eval_count", 8}});
  CHECK(ollama_embedding_from_openai(openai) == json{{"embedding", {0.1, 0.2}}});
  CHECK(ollama_embed_from_openai(json::object()) ==
        json{{"model", ""}, {"embeddings", json::array()}, {"prompt_eval_count", 0}});
  CHECK(ollama_embedding_from_openai(nullptr) == json{{"embedding", json::array()}});
}

TEST_CASE("Ollama embedding requests become /v1/embeddings requests", "[ollama]") {
  std::string problem;
  CHECK(openai_embeddings_request_from_ollama(
            {{"model", "nomic-embed"}, {"input", {"a", "b"}}, {"truncate", true}, {"keep_alive", "5m"},
             {"options", {{"num_ctx", 2048}}}, {"dimensions", 256}},
            false, &problem) == json{{"model", "nomic-embed"}, {"input", {"a", "b"}}, {"dimensions", 256}});
  CHECK(openai_embeddings_request_from_ollama({{"input", "a"}}, false, &problem) == json{{"input", "a"}});
  CHECK(openai_embeddings_request_from_ollama({{"model", "m"}, {"prompt", "a"}}, true, &problem) ==
        json{{"model", "m"}, {"input", "a"}});

  SECTION("a missing, empty or mistyped input is refused, naming the field") {
    CHECK(refusal({{"model", "m"}}, false) == "'input' is missing; send the text to embed");
    CHECK(refusal({{"input", "a"}}, true) == "'prompt' is missing; send the text to embed");
    CHECK(refusal({{"input", ""}}, false).rfind("'input' is empty", 0) == 0);
    CHECK(refusal({{"input", json::array()}}, false).rfind("'input' is empty", 0) == 0);
    CHECK(refusal({{"prompt", ""}}, true).rfind("'prompt' is empty", 0) == 0);
    CHECK(refusal({{"input", {"a", 1}}}, false) == "input[1] must be a string (got number)");
    CHECK(refusal({{"input", 3}}, false) == "'input' must be a string or a list of strings (got number)");
    CHECK(refusal({{"prompt", {"a"}}}, true) == "'prompt' must be a string (got list)");
    CHECK(refusal({{"input", "a"}, {"model", 1}}, false) == "'model' must be a string (got number)");
    CHECK(refusal({{"input", "a"}, {"dimensions", "256"}}, false) == "'dimensions' must be a positive integer (got \"256\")");
    CHECK(refusal("x", false) == "the request body must be a JSON object (got string)");
  }
}

}  // namespace ollama_models_test
