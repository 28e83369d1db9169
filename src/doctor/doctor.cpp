// Running the doctor's probes and checks together, and its report as text or JSON.
#include "autoswarm/doctor/doctor.h"

#include <algorithm>
#include <future>
#include <sstream>

#include "autoswarm/util/error.h"

namespace autoswarm::doctor {
namespace {

using nlohmann::json;
using llm::ServerKind;
using upstream::ServerStatus;

constexpr size_t kNameWidth = 17;
constexpr size_t kStateWidth = 13;
constexpr size_t kMaxListedModels = 8;

const char* kind_id(ServerKind kind) {
  switch (kind) {
    case ServerKind::kLmStudio: return "lmstudio";
    case ServerKind::kOllama: return "ollama";
    case ServerKind::kVllm: return "vllm";
    case ServerKind::kCustom: return "custom";
  }
  return "custom";
}

json or_null(const std::string& text) { return text.empty() ? json() : json(text); }

json server_json(const ServerStatus& s) {
  return {{"name", display_name(s.kind)}, {"kind", kind_id(s.kind)}, {"url", s.url.str()},
          {"reachable", s.reachable}, {"version", or_null(s.version)}, {"models", s.models},
          {"loaded", s.loaded}, {"loaded_known", s.loaded_known}, {"usable", s.usable()},
          {"default_model", or_null(s.default_model())}, {"error", or_null(s.error)},
          {"fixes", s.fixes}, {"hints", s.hints}};
}

json check_json(const Check& c) {
  json j = c.details;
  j["status"] = to_string(c.status);
  j["message"] = c.message;
  j["fixes"] = c.fixes;
  j["hints"] = c.hints;
  return j;
}

// Text rendering: a name column, a coloured state column, then details.
class TextWriter {
 public:
  explicit TextWriter(bool color) : color_(color) {}

  void row(const std::string& name, CheckStatus status, const std::string& state,
           const std::string& rest) {
    out_ << pad(name, kNameWidth) << paint(status, pad(state, kStateWidth)) << rest << "\n";
  }
  void line(const std::string& label, const std::string& text) {
    out_ << "  " << (label.empty() ? "" : label + ": ") << text << "\n";
  }
  void advice(const std::vector<std::string>& fixes, const std::vector<std::string>& hints) {
    for (const auto& f : fixes) line("fix", f);
    for (const auto& h : hints) line("hint", h);
  }
  std::string paint(CheckStatus status, const std::string& text) const {
    if (!color_) return text;
    const char* code = status == CheckStatus::kOk        ? "\033[32m"
                       : status == CheckStatus::kWarning ? "\033[33m"
                                                         : "\033[31m";
    return code + text + "\033[0m";
  }
  std::ostringstream& out() { return out_; }

 private:
  static std::string pad(const std::string& text, size_t width) {
    return text.size() + 1 >= width ? text + " " : text + std::string(width - text.size(), ' ');
  }
  bool color_;
  std::ostringstream out_;
};

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (size_t i = 0; i < items.size() && i < kMaxListedModels; ++i) text += (i ? ", " : "") + items[i];
  if (items.size() > kMaxListedModels) {
    text += " and " + std::to_string(items.size() - kMaxListedModels) + " more";
  }
  return text;
}

void render_server(TextWriter& w, const ServerStatus& s, bool other_usable) {
  std::string rest = s.url.str();
  if (!s.version.empty()) rest += " (version " + s.version + ")";
  // A server that cannot be used is only a warning when another one can.
  const CheckStatus failed = other_usable ? CheckStatus::kWarning : CheckStatus::kProblem;
  if (s.usable()) {
    w.row(display_name(s.kind), CheckStatus::kOk, "ok", rest);
  } else {
    w.row(display_name(s.kind), failed, s.reachable ? "not usable" : "not running", rest);
  }
  if (s.reachable) {
    w.line("models", s.models.empty() ? "none" : joined(s.models));
    if (!s.loaded_known) {
      w.line("loaded", "unknown (this LM Studio answers only /v1/models; it loads a model on request)");
    } else if (!s.loaded.empty()) {
      w.line("loaded", joined(s.loaded));
    } else if (s.kind == ServerKind::kOllama && !s.models.empty()) {
      w.line("loaded", "none yet (Ollama loads a model on its first request)");
    } else if (s.kind != ServerKind::kCustom) {
      w.line("loaded", "none");
    }
  }
  if (!s.error.empty()) w.line("", s.error);
  w.advice(s.fixes, s.hints);
}

}  // namespace

DoctorReport run_doctor(const DoctorOptions& options) {
  const upstream::UpstreamOptions& up = options.upstream;
  if (up.upstream_url) llm::BaseUrl::parse(*up.upstream_url);  // a usage error before any work

  auto docker = std::async(std::launch::async, check_docker, std::cref(options.docker_program),
                           options.docker_timeout);
  auto port = std::async(std::launch::async, check_proxy_port, std::cref(options.proxy_host),
                         options.proxy_port, up.probe_timeout);
  std::future<std::vector<ServerStatus>> locals;
  if (up.upstream_url) locals = std::async(std::launch::async, upstream::probe_local_servers, std::cref(up));

  DoctorReport report;
  std::vector<ServerStatus> findings;
  report.selected = upstream::choose_upstream(up, &findings);
  if (locals.valid()) report.servers = locals.get();
  for (auto& s : findings) report.servers.push_back(std::move(s));

  try {
    util::DataDir dir = util::DataDir::resolve(options.home);
    report.data_dir = check_data_dir(dir);
    report.skills = check_skills(dir.skills_file());
  } catch (const Error& e) {
    report.data_dir.status = CheckStatus::kProblem;
    report.data_dir.message = e.what();
    report.data_dir.hints = {"choose a directory with --home DIR or AUTOSWARM_HOME"};
    report.skills.status = CheckStatus::kWarning;
    report.skills.message = "not checked: there is no data directory";
  }
  report.proxy_port = port.get();
  report.docker = docker.get();
  return report;
}

json DoctorReport::to_json() const {
  json j;
  j["servers"] = json::array();
  for (const auto& s : servers) j["servers"].push_back(server_json(s));
  j["proxy_port"] = check_json(proxy_port);
  j["data_dir"] = check_json(data_dir);
  j["skills"] = check_json(skills);
  j["docker"] = check_json(docker);
  j["selected"] = selected ? json{{"url", selected->url.str()},
                                  {"model", selected->model},
                                  {"server", display_name(selected->kind)},
                                  {"kind", kind_id(selected->kind)}}
                           : json();
  j["ok"] = ok();
  return j;
}

std::string DoctorReport::render_text(bool color) const {
  TextWriter w(color);
  const bool any_usable = std::any_of(servers.begin(), servers.end(),
                                      [](const ServerStatus& s) { return s.usable(); });
  for (const auto& s : servers) render_server(w, s, any_usable);
  w.out() << "\n";
  const std::pair<const char*, const Check*> checks[] = {
      {"proxy port", &proxy_port}, {"data dir", &data_dir}, {"skills", &skills}, {"docker", &docker}};
  for (const auto& [name, check] : checks) {
    w.row(name, check->status, to_string(check->status), check->message);
    w.advice(check->fixes, check->hints);
  }
  w.out() << "\n";

  if (selected) {
    w.out() << w.paint(CheckStatus::kOk, "selected:") << " " << display_name(selected->kind)
            << " at " << selected->url.str() << ", model "
            << (selected->model.empty() ? "(none named)" : selected->model) << "\n";
    for (const auto& s : servers) {
      if (s.kind != selected->kind || !(s.url == selected->url)) continue;
      if (!s.models.empty() && std::ranges::count(s.models, selected->model) == 0 &&
          std::ranges::count(s.loaded, selected->model) == 0) {
        w.line("note", "the model is not listed by " + std::string(display_name(s.kind)) +
                           "; requests will name it anyway");
      }
      break;
    }
    return w.out().str();
  }
  w.out() << w.paint(CheckStatus::kProblem, "no usable upstream:")
          << " start or fix one of the servers above\n";
  // With --upstream, `start` uses that one only: its own advice is what matters.
  const bool custom = std::any_of(servers.begin(), servers.end(),
                                  [](const ServerStatus& s) { return s.kind == ServerKind::kCustom; });
  std::vector<std::string> shown;
  for (const auto& s : servers) {
    if (custom && s.kind != ServerKind::kCustom) continue;
    if (custom) w.advice(s.fixes, s.hints);
    if (custom || s.fixes.empty() || std::ranges::count(shown, s.fixes.front()) > 0) continue;
    shown.push_back(s.fixes.front());
    w.line("fix", s.fixes.front() + "   # " + display_name(s.kind));
  }
  return w.out().str();
}

}  // namespace autoswarm::doctor
