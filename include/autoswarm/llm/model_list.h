// The model list of an OpenAI-compatible server (GET /v1/models, {"data":[{"id","owned_by"}]}),
// read in one place for the client, the upstream probes and the proxy's --model check.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoswarm::llm {

struct ModelInfo {
  std::string id;
  std::string owned_by;  // "" when the server does not say
};

// The models of a /v1/models reply. "data": null (Ollama with nothing installed) is an empty
// list; entries without a non-empty string "id" are skipped. Nothing when the reply is not an
// object with a "data" list.
std::optional<std::vector<ModelInfo>> read_model_list(const nlohmann::json& reply);

// The ids of `models`, in order.
std::vector<std::string> model_ids(const std::vector<ModelInfo>& models);

}  // namespace autoswarm::llm
