// For the reflect and skills tests: a data directory with conversation logs shaped like the
// proxy's, the real `autoswarm` binary run against it, and readers for the files it writes.
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoswarm/skills/skill_book.h"
#include "autoswarm/util/files.h"
#include "autoswarm/util/subprocess.h"
#include "support/temp_dir.h"

namespace autoswarm::testing {

// A conversation record as src/proxy/chat_relay.cpp writes it.
struct LoggedChat {
  std::string question;
  std::string reply = "Here is how.";
  int status = 200;
  std::string error{};
  std::vector<std::string> injected{};
  std::string kind = "chat";  // "helper" for a front end's background task
};

class ReflectHome {
 public:
  ReflectHome() { util::ensure_directory(conversations(), 0700); }

  std::filesystem::path home() const { return tmp_.path(); }
  std::filesystem::path conversations() const { return tmp_ / "conversations"; }
  std::filesystem::path skills_file() const { return tmp_ / "skills.yaml"; }
  std::filesystem::path removed_file() const { return tmp_ / "skills.removed.yaml"; }
  std::filesystem::path ledger_file() const { return conversations() / "reviewed.jsonl"; }

  // "20260101T000001.000Z-c00001" for n = 1: ids that sort by n.
  static std::string id_for(int n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "20260101T%02d%02d%02d.000Z-c%05d", n / 3600 % 24, n / 60 % 60, n % 60, n);
    return buf;
  }

  // The record the proxy writes for chat `n`.
  static nlohmann::json record(int n, const LoggedChat& chat) {
    nlohmann::json reply = {{"content", chat.reply}, {"tool_calls", nlohmann::json::array()}, {"finish_reason", "stop"}};
    return {
        {"id", id_for(n)},
        {"started_at", "2026-01-01T00:00:00.000Z"},
        {"ended_at", "2026-01-01T00:00:01.000Z"},
        {"upstream", "http://127.0.0.1:1/v1"},
        {"model", "fake-model"},
        {"stream", false},
        {"kind", chat.kind},
        {"messages", nlohmann::json::array({{{"role", "user"}, {"content", chat.question}}})},
        {"tools", nullptr},
        {"params", nlohmann::json::object()},
        {"injected_skills", chat.injected},
        {"reply", reply},
        {"usage", nullptr},
        {"latency_ms", 12.5},
        {"status", chat.status},
        {"error", chat.error.empty() ? nlohmann::json() : nlohmann::json(chat.error)},
        {"client_disconnected", false},
    };
  }

  // The segment the records of log() go to, as the proxy names them.
  std::filesystem::path segment() const { return conversations() / "2026-01-01.jsonl"; }

  // Logs chat `n` as the proxy does: a line appended to the segment. Returns its id.
  std::string log(int n, const LoggedChat& chat) const { return append(record(n, chat)); }
  std::string append(const nlohmann::json& record) const {
    std::ofstream(segment(), std::ios::app) << record.dump() << "\n";
    return record["id"];
  }
  // Logs chat `n` as versions before segments did: a file of its own, <id>.json.
  std::string log_legacy(int n, const LoggedChat& chat) const {
    const std::string id = id_for(n);
    util::write_file_atomic(conversations() / (id + ".json"), record(n, chat).dump(2) + "\n");
    return id;
  }

  util::ProcessResult run(std::vector<std::string> args, util::ProcessOptions options = {}) const {
    args.insert(args.begin(), {AUTOSWARM_BINARY, "--home", home().string()});
    if (options.timeout.count() == 0) options.timeout = std::chrono::seconds(60);
    // Detection must never find a real server on this machine: point it at nothing.
    options.env.emplace("AUTOSWARM_LMSTUDIO_URL", "http://127.0.0.1:9");
    options.env.emplace("AUTOSWARM_OLLAMA_URL", "http://127.0.0.1:9");
    options.env.emplace("AUTOSWARM_VLLM_URL", "http://127.0.0.1:9");
    options.unset_env.insert(options.unset_env.end(), {"AUTOSWARM_HOME", "OLLAMA_HOST", "OPENAI_API_KEY", "NO_COLOR"});
    return util::run_process(args, options);
  }

  skills::SkillBook skills() const { return skills::SkillBook::load(skills_file()); }

  // Conversation id -> how many review marks it has in the ledger.
  std::map<std::string, int> review_marks() const {
    std::map<std::string, int> out;
    std::error_code ec;
    if (!std::filesystem::exists(ledger_file(), ec)) return out;
    const std::string text = util::read_file(ledger_file());
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) break;  // a torn tail is not a mark
      auto j = nlohmann::json::parse(text.substr(pos, nl - pos), nullptr, false);
      if (j.is_object()) ++out[j.value("id", "")];
      pos = nl + 1;
    }
    return out;
  }

  // Every file under the data directory with its contents, to prove nothing was written.
  std::map<std::string, std::string> snapshot() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(home())) {
      if (e.is_regular_file()) out[e.path().string()] = util::read_file(e.path());
    }
    return out;
  }

 private:
  TempDir tmp_;
};

}  // namespace autoswarm::testing
