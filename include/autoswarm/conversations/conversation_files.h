// The reading side of the conversation log: listing the <id>.json files the proxy wrote (oldest
// first, since ids sort by time) and loading one into the fields reflect works with.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoswarm::conversations {

// One logged chat completion (see src/proxy/chat_relay.cpp for the record written).
struct Conversation {
  std::string id;
  std::string started_at;
  std::string model;
  int status = 0;                            // HTTP status the client got
  std::string error;                         // why the call failed, "" when it did not
  nlohmann::json messages = nlohmann::json::array();  // as the client sent them
  std::string reply_content;
  nlohmann::json reply_tool_calls = nlohmann::json::array();
  std::string finish_reason;
  std::vector<std::string> injected_skills;  // ids of the skills the proxy injected
  bool client_disconnected = false;

  // The call failed (status not 2xx, or an error recorded): nothing to learn from its reply.
  bool failed() const { return status < 200 || status >= 300 || !error.empty(); }

  // Reads a record. Throws FileError naming `origin` when it is not a conversation record.
  static Conversation from_json(const nlohmann::json& record, const std::string& origin);
};

// The ids of every <id>.json in `dir`, oldest first. Hidden files (the proxy's temp files)
// and anything else are ignored; a missing directory has none.
std::vector<std::string> list_conversation_ids(const std::filesystem::path& dir);

// Reads a record from its text (a <id>.json file's contents). Throws FileError naming `origin`
// when it is not JSON or not a conversation record.
Conversation parse_conversation(std::string_view text, const std::string& origin);

// Loads <dir>/<id>.json. Throws FileError naming the file when it cannot be read or parsed.
Conversation load_conversation(const std::filesystem::path& dir, const std::string& id);

}  // namespace autoswarm::conversations
