#include "autoswarm/conversations/conversation_files.h"

#include <algorithm>
#include <system_error>

#include "autoswarm/llm/chat.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/json.h"

namespace autoswarm::conversations {
namespace fs = std::filesystem;
using nlohmann::json;

Conversation Conversation::from_json(const json& record, const std::string& origin) {
  if (!record.is_object()) throw FileError(origin + ": not a conversation record (expected a JSON object)");
  Conversation c;
  c.id = util::string_field(record, "id");
  c.started_at = util::string_field(record, "started_at");
  c.model = util::string_field(record, "model");
  if (auto it = record.find("status"); it != record.end() && it->is_number_integer()) c.status = it->get<int>();
  else c.status = 200;  // older or hand-made records without a status: a completed call
  c.error = util::string_field(record, "error");
  if (auto it = record.find("messages"); it != record.end()) {
    if (std::string problem = llm::messages_problem(*it); !problem.empty()) {
      throw FileError(origin + ": " + problem);
    }
    c.messages = *it;
  }
  if (auto it = record.find("reply"); it != record.end() && it->is_object()) {
    c.reply_content = util::string_field(*it, "content");
    c.finish_reason = util::string_field(*it, "finish_reason");
    if (auto tc = it->find("tool_calls"); tc != it->end() && tc->is_array()) c.reply_tool_calls = *tc;
  }
  if (auto it = record.find("injected_skills"); it != record.end() && it->is_array()) {
    for (const auto& id : *it) {
      if (id.is_string()) c.injected_skills.push_back(id.get<std::string>());
    }
  }
  if (auto it = record.find("client_disconnected"); it != record.end() && it->is_boolean()) {
    c.client_disconnected = it->get<bool>();
  }
  return c;
}

std::vector<std::string> list_conversation_ids(const fs::path& dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.front() == '.' || !name.ends_with(".json") || name.size() == 5) continue;
    if (!it->is_regular_file(ec)) continue;
    ids.push_back(name.substr(0, name.size() - 5));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw FileError("cannot list " + dir.string() + ": " + ec.message());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Conversation parse_conversation(std::string_view text, const std::string& origin) {
  json record = util::try_parse_json(text);
  if (record.is_discarded()) throw FileError(origin + ": not valid JSON");
  return Conversation::from_json(record, origin);
}

Conversation load_conversation(const fs::path& dir, const std::string& id) {
  const fs::path path = dir / (id + ".json");
  Conversation c = parse_conversation(util::read_file(path), path.string());
  c.id = id;  // the file name is the id reflect tracks
  return c;
}

}  // namespace autoswarm::conversations
