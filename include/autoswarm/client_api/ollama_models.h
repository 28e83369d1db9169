// The Ollama routes besides /api/chat and /api/generate that Ollama's clients (Open WebUI, the
// ollama libraries) call before they chat: the model list, the running models, one model's
// details, and embeddings. The proxy answers them from the upstream's OpenAI-style endpoints
// (GET /v1/models, POST /v1/embeddings); these are the translations, JSON in and JSON out.
// An OpenAI server says nothing of sizes, digests, quantization or templates, so those fields
// are present (clients read them) and empty.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace autoswarm::client_api {

using nlohmann::json;

// GET /api/tags from a /v1/models body {"data":[{"id","created"?}]}: {"models":[{"name":id,
// "model":id,"modified_at":<`created` as RFC 3339 UTC, else 1970-01-01T00:00:00Z>,"size":0,
// "digest":"","details":{"format":"","family":"","parameter_size":"","quantization_level":""}}]}.
// Entries without a string id are skipped; a body without a "data" list lists no models.
json ollama_tags(const json& openai_models_body);

// GET /api/ps: the same models (an OpenAI server lists only what it serves), each also with
// "expires_at" (never: keep_alive -1 as Ollama shows it), "size_vram":0 and, when the body says
// (vLLM's max_model_len), "context_length".
json ollama_ps(const json& openai_models_body);

// POST /api/show for `model`: {"modelfile":"","parameters":"","template":"","details":{…},
// "model_info":{},"capabilities":["completion","tools"]}. Nothing when the list does not hold
// `model` (the proxy's 404); "name" and "name:latest" are the same model, as in Ollama.
std::optional<json> ollama_show(const json& openai_models_body, const std::string& model);

// POST /api/embed's reply from a /v1/embeddings body: {"model","embeddings":[[…]] in input
// order,"prompt_eval_count":usage.prompt_tokens}.
json ollama_embed_from_openai(const json& openai_embeddings_body);
// POST /api/embeddings' (the older route's) reply: {"embedding":[…]}, the first input's.
json ollama_embedding_from_openai(const json& openai_embeddings_body);

// The /v1/embeddings request for an Ollama body: /api/embed's {model, input: string or list of
// strings, dimensions?} or, with `legacy_embeddings`, /api/embeddings' {model, prompt}.
// options, truncate and keep_alive are dropped. Nothing, with `*problem` naming the field, for
// a missing or empty input or a field of the wrong type (the proxy's 400).
std::optional<json> openai_embeddings_request_from_ollama(const json& body, bool legacy_embeddings,
                                                          std::string* problem);

}  // namespace autoswarm::client_api
