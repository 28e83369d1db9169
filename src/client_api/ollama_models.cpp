#include "autoswarm/client_api/ollama_models.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include "autoswarm/util/json.h"
#include "autoswarm/util/utc_time.h"
#include "ollama_translation.h"

namespace autoswarm::client_api {
namespace ollama {
namespace {

// What Ollama shows for a model loaded with keep_alive -1: it never expires.
constexpr const char* kNeverExpires = "2318-01-01T00:00:00Z";

// The entries of a /v1/models body that have a string id.
std::vector<json> listed_models(const json& body) {
  std::vector<json> out;
  if (!body.is_object()) return out;
  auto data = body.find("data");
  if (data == body.end() || !data->is_array()) return out;
  for (const json& entry : *data) {
    auto id = entry.is_object() ? entry.find("id") : entry.end();
    if (entry.is_object() && id != entry.end() && id->is_string() && !id->get_ref<const std::string&>().empty()) {
      out.push_back(entry);
    }
  }
  return out;
}

json empty_details() {
  return {{"format", ""}, {"family", ""}, {"parameter_size", ""}, {"quantization_level", ""}};
}

std::string modified_at(const json& entry) {
  auto created = entry.find("created");
  int64_t seconds = created != entry.end() && created->is_number_integer() ? created->get<int64_t>() : 0;
  if (seconds < 0) seconds = 0;
  return util::utc_timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

json tag_entry(const json& entry) {
  const json& id = entry["id"];
  return {{"name", id},   {"model", id},           {"modified_at", modified_at(entry)},
          {"size", 0},    {"digest", ""},          {"details", empty_details()}};
}

// "llama3.2" and "llama3.2:latest" name one model in Ollama.
std::string without_latest(const std::string& name) {
  constexpr std::string_view kLatest = ":latest";
  if (name.size() > kLatest.size() && name.compare(name.size() - kLatest.size(), kLatest.size(), kLatest) == 0) {
    return name.substr(0, name.size() - kLatest.size());
  }
  return name;
}

// data[] of a /v1/embeddings body in input order (by "index" where given).
std::vector<json> embedding_vectors(const json& body) {
  std::vector<std::pair<int64_t, json>> indexed;
  if (body.is_object()) {
    auto data = body.find("data");
    if (data != body.end() && data->is_array()) {
      for (size_t i = 0; i < data->size(); ++i) {
        const json& item = (*data)[i];
        if (!item.is_object()) continue;
        auto vector = item.find("embedding");
        if (vector == item.end() || !vector->is_array()) continue;
        auto index = item.find("index");
        int64_t at = index != item.end() && index->is_number_integer() ? index->get<int64_t>() : static_cast<int64_t>(i);
        indexed.emplace_back(at, *vector);
      }
    }
  }
  std::stable_sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<json> out;
  for (auto& [index, vector] : indexed) out.push_back(std::move(vector));
  return out;
}

}  // namespace
}  // namespace ollama

json ollama_tags(const json& openai_models_body) {
  json models = json::array();
  for (const json& entry : ollama::listed_models(openai_models_body)) models.push_back(ollama::tag_entry(entry));
  return {{"models", std::move(models)}};
}

json ollama_ps(const json& openai_models_body) {
  json models = json::array();
  for (const json& entry : ollama::listed_models(openai_models_body)) {
    json model = ollama::tag_entry(entry);
    model["expires_at"] = ollama::kNeverExpires;
    model["size_vram"] = 0;
    if (auto length = entry.find("max_model_len"); length != entry.end() && length->is_number_integer()) {
      model["context_length"] = *length;
    }
    models.push_back(std::move(model));
  }
  return {{"models", std::move(models)}};
}

std::optional<json> ollama_show(const json& openai_models_body, const std::string& model) {
  for (const json& entry : ollama::listed_models(openai_models_body)) {
    if (ollama::without_latest(entry["id"].get<std::string>()) != ollama::without_latest(model)) continue;
    return json{{"modelfile", ""},
                {"parameters", ""},
                {"template", ""},
                {"details", ollama::empty_details()},
                {"model_info", json::object()},
                {"capabilities", {"completion", "tools"}},
                {"modified_at", ollama::modified_at(entry)}};
  }
  return std::nullopt;
}

json ollama_embed_from_openai(const json& openai_embeddings_body) {
  json out = {{"model", ""}, {"embeddings", json::array()}, {"prompt_eval_count", 0}};
  if (!openai_embeddings_body.is_object()) return out;
  if (auto model = openai_embeddings_body.find("model"); model != openai_embeddings_body.end() && model->is_string()) {
    out["model"] = *model;
  }
  for (json& vector : ollama::embedding_vectors(openai_embeddings_body)) out["embeddings"].push_back(std::move(vector));
  if (auto usage = openai_embeddings_body.find("usage"); usage != openai_embeddings_body.end() && usage->is_object()) {
    if (auto prompt = usage->find("prompt_tokens"); prompt != usage->end() && prompt->is_number_integer()) {
      out["prompt_eval_count"] = *prompt;
    }
  }
  return out;
}

json ollama_embedding_from_openai(const json& openai_embeddings_body) {
  std::vector<json> vectors = ollama::embedding_vectors(openai_embeddings_body);
  return {{"embedding", vectors.empty() ? json::array() : std::move(vectors.front())}};
}

std::optional<json> openai_embeddings_request_from_ollama(const json& body, bool legacy_embeddings,
                                                          std::string* problem) {
  auto fail = [&](std::string message) -> std::optional<json> {
    *problem = std::move(message);
    return std::nullopt;
  };
  if (!body.is_object()) return fail("the request body must be a JSON object (got " + util::json_kind(body) + ")");
  json out = json::object();
  if (auto model = body.find("model"); model != body.end() && !model->is_null()) {
    if (!model->is_string()) return fail("'model' must be a string (got " + util::json_kind(*model) + ")");
    if (!model->get_ref<const std::string&>().empty()) out["model"] = *model;
  }
  const char* key = legacy_embeddings ? "prompt" : "input";
  auto input = body.find(key);
  if (input == body.end() || input->is_null()) return fail(std::string("'") + key + "' is missing; send the text to embed");
  if (legacy_embeddings && !input->is_string()) {
    return fail("'prompt' must be a string (got " + util::json_kind(*input) + ")");
  }
  if (input->is_array()) {
    for (size_t i = 0; i < input->size(); ++i) {
      if (!(*input)[i].is_string()) {
        return fail("input[" + std::to_string(i) + "] must be a string (got " + util::json_kind((*input)[i]) + ")");
      }
    }
  } else if (!input->is_string()) {
    return fail("'input' must be a string or a list of strings (got " + util::json_kind(*input) + ")");
  }
  if (input->empty() || *input == "") {
    return fail(std::string("'") + key + "' is empty; send the text to embed (a request that only loads the model "
                                         "cannot be translated)");
  }
  out["input"] = *input;
  if (auto dimensions = body.find("dimensions"); dimensions != body.end() && !dimensions->is_null()) {
    if (!dimensions->is_number_integer() || dimensions->get<int64_t>() <= 0) {
      return fail("'dimensions' must be a positive integer (got " + dimensions->dump(-1, ' ', false, json::error_handler_t::replace) + ")");
    }
    out["dimensions"] = *dimensions;
  }
  return out;
}

}  // namespace autoswarm::client_api
