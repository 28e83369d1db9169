#include "autoswarm/llm/model_list.h"

namespace autoswarm::llm {

std::optional<std::vector<ModelInfo>> read_model_list(const nlohmann::json& reply) {
  if (!reply.is_object() || !reply.contains("data")) return std::nullopt;
  const nlohmann::json& data = reply["data"];
  if (data.is_null()) return std::vector<ModelInfo>{};
  if (!data.is_array()) return std::nullopt;
  std::vector<ModelInfo> models;
  for (const auto& m : data) {
    if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
    std::string id = m["id"].get<std::string>();
    if (id.empty()) continue;
    std::string owned_by;
    if (m.contains("owned_by") && m["owned_by"].is_string()) owned_by = m["owned_by"].get<std::string>();
    models.push_back({std::move(id), std::move(owned_by)});
  }
  return models;
}

std::vector<std::string> model_ids(const std::vector<ModelInfo>& models) {
  std::vector<std::string> ids;
  ids.reserve(models.size());
  for (const auto& m : models) ids.push_back(m.id);
  return ids;
}

}  // namespace autoswarm::llm
