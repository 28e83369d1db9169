// `autoswarm start`: choose an upstream, then serve the skill-injecting proxy until Ctrl-C.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <iostream>
#include <optional>
#include <thread>

#include "autoswarm/proxy/proxy_server.h"
#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/data_dir.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/text.h"
#include "autoswarm/version.h"
#include "command.h"
#include "upstream_flags.h"

namespace autoswarm::cli {
namespace {

struct StartFlags {
  UpstreamFlags upstream;
  std::string host = "127.0.0.1";
  int port = 8080;
  skills::InjectionLimits skills;
  bool no_log = false;
  size_t max_body = 32 * 1024 * 1024;
  size_t max_upstream_reply = 16 * 1024 * 1024;
  size_t max_log_reply = 1024 * 1024;
  std::string proxy_key;
  std::optional<std::string> proxy_key_file;
  bool insecure_no_auth = false;
  std::vector<std::string> cors_origins;
  int timeout_s = 600;
  double header_timeout_s = 10;
  size_t max_connections = 1024;
  size_t max_connections_per_client = 256;
  std::vector<std::string> aliases;  // NAME=MODEL
  bool wait = false;
};

// --alias NAME=MODEL, repeatable. Throws UsageError naming the bad one.
std::map<std::string, std::string> parse_aliases(const std::vector<std::string>& specs) {
  std::map<std::string, std::string> aliases;
  for (const auto& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw UsageError("--alias '" + spec + "': write NAME=MODEL, e.g. --alias gpt-4o=qwen2.5-coder:7b");
    }
    if (!aliases.emplace(spec.substr(0, eq), spec.substr(eq + 1)).second) {
      throw UsageError("--alias '" + spec + "': " + spec.substr(0, eq) + " is already an alias; give each name once");
    }
  }
  return aliases;
}

// "  aliases    gpt-4o → qwen2.5-coder:7b, …\n" for the banner; "" without aliases.
std::string aliases_line(const std::map<std::string, std::string>& aliases) {
  if (aliases.empty()) return "";
  std::vector<std::string> parts;
  for (const auto& [name, model] : aliases) parts.push_back(name + " → " + model);
  return "  aliases    " + util::join(parts, ", ") + "\n";
}

// One line per server checked, for the warnings below.
std::string what_was_checked(const std::vector<upstream::ServerStatus>& findings) {
  std::string out;
  for (const auto& s : findings) {
    if (!out.empty()) out += "; ";
    out += finding_line(s);
  }
  return out;
}

// With --model, a line when the chosen server lists models and that one is not among them.
void warn_if_model_not_served(const std::vector<upstream::ServerStatus>& findings, const llm::Endpoint& chosen,
                              const std::optional<std::string>& model) {
  if (!model) return;
  for (const auto& s : findings) {
    if (s.url.str() != chosen.url.str() || s.models.empty()) continue;
    if (std::find(s.models.begin(), s.models.end(), *model) != s.models.end()) return;
    std::vector<std::string> shown(s.models.begin(), s.models.begin() + std::min<size_t>(s.models.size(), 10));
    std::cerr << "warning: --model " << *model << " is not among the models " << llm::display_name(s.kind)
              << " serves (" << util::join(shown, ", ") << (s.models.size() > shown.size() ? ", …" : "")
              << "); requests naming no model, or one it does not serve, will ask for it anyway\n";
    return;
  }
}

int run_start(const StartFlags& f, const GlobalOptions& global) {
  // Signals go to one thread that stops the server; every other thread (created below,
  // inheriting this mask) never sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Key files are read first: a bad one is a usage error whatever the upstream does.
  std::string proxy_key = f.proxy_key;
  if (f.proxy_key_file) proxy_key = read_key_file(*f.proxy_key_file, "--proxy-key-file");
  else if (const char* env = std::getenv("AUTOSWARM_PROXY_KEY"); proxy_key.empty() && env) proxy_key = env;

  const std::map<std::string, std::string> aliases = parse_aliases(f.aliases);
  const upstream::UpstreamOptions upstream_options = f.upstream.options();
  std::vector<upstream::ServerStatus> findings;
  auto selection = upstream::choose_upstream(upstream_options, &findings);
  if (!selection && f.upstream.upstream && !findings.empty()) {
    // An upstream the user named is used even when it is down now: the proxy answers 502 with
    // doctor's hint until it comes up, and needs no restart then.
    const upstream::ServerStatus& named = findings.front();
    selection = llm::Endpoint{.kind = named.kind,
                              .url = named.url,
                              .key = upstream_options.api_key,
                              .model = f.upstream.model.value_or("")};
    std::cerr << "warning: the upstream is not usable now (" << what_was_checked(findings)
              << "); starting anyway: requests get 502 until it answers\n";
    for (const auto& fix : named.fixes) std::cerr << "      fix: " << fix << "\n";
    if (!f.upstream.model) {
      std::cerr << "warning: no model known; requests that name none are sent without one "
                   "(pass --model to name it)\n";
    }
  }
  for (auto last_line = std::chrono::steady_clock::now() - std::chrono::seconds(10); !selection && f.wait;) {
    if (std::chrono::steady_clock::now() - last_line >= std::chrono::seconds(10)) {
      std::cerr << "waiting for an LLM server (" << what_was_checked(findings) << "); Ctrl-C stops\n";
      last_line = std::chrono::steady_clock::now();
    }
    const timespec pause{2, 0};
    if (sigtimedwait(&stop_signals, nullptr, &pause) > 0) return 130;
    selection = upstream::choose_upstream(upstream_options, &findings);
  }
  if (!selection) {
    print_no_upstream(findings, "",
                      "Start one of them (or pass --upstream URL), then run `autoswarm start` again, "
                      "or pass --wait to wait for one. `autoswarm doctor` shows the details.");
    return 1;
  }
  warn_if_model_not_served(findings, *selection, f.upstream.model);

  util::DataDir data = util::DataDir::resolve(global.home);
  proxy::ProxyOptions o;
  o.host = f.host;
  o.port = f.port;
  o.upstream = *selection;
  o.model_forced = f.upstream.model.has_value();
  o.data_dir = data.root();
  o.log_conversations = !f.no_log;
  o.skill_limits = f.skills;
  o.max_body_bytes = f.max_body;
  o.max_upstream_reply_bytes = f.max_upstream_reply;
  o.max_log_reply_bytes = f.max_log_reply;
  o.proxy_key = proxy_key;
  o.insecure_no_auth = f.insecure_no_auth;
  o.cors_origins = f.cors_origins;
  o.upstream_read_timeout = std::chrono::seconds(f.timeout_s);
  o.header_timeout = std::chrono::milliseconds(static_cast<long>(f.header_timeout_s * 1000));
  o.max_connections = f.max_connections;
  o.max_connections_per_client = f.max_connections_per_client;
  o.model_aliases = aliases;
  proxy::ProxyServer server(o);

  std::string host = f.host.find(':') != std::string::npos ? "[" + f.host + "]" : f.host;
  std::cout << "autoswarm " << kVersion << " proxy\n"
            << "  upstream   " << llm::display_name(selection->kind) << " " << selection->url.str() << "\n"
            << "  model      " << (selection->model.empty() ? "(none known yet)" : selection->model) << "\n"
            << aliases_line(aliases) << "  listening  http://" << host << ":" << server.port() << "/v1\n"
            << "  data       " << data.root().string() << " (" << server.skill_count() << " skills, logging "
            << (f.no_log ? "off" : "on") << ")\n"
            << "Point your client at http://" << host << ":" << server.port() << "/v1 — Ctrl-C stops.\n"
            << std::flush;

  std::thread([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "stopping (in-flight requests get a few seconds; press Ctrl-C again to quit now)\n";
    server.stop();
    sigwait(&stop_signals, &sig);
    ::_exit(130);
  }).detach();

  server.run();
  return 0;
}

}  // namespace

Runner configure_start(CLI::App& app) {
  auto f = std::make_shared<StartFlags>();
  f->upstream.add_to(app);
  app.add_option("--host", f->host, "Address to listen on (non-loopback needs --proxy-key)")->capture_default_str();
  app.add_option("--port", f->port, "Port to listen on")->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--skills-budget", f->skills.budget_tokens, "At most this many tokens of skills per request")
      ->capture_default_str();
  app.add_option("--skills-max", f->skills.max_skills,
                 "At most this many skills per request, the most relevant first (skills marked always: true come on top)")
      ->capture_default_str();
  app.add_option("--skills-min-score", f->skills.min_score,
                 "How relevant to the conversation a skill must be to be injected, 0 to 1 (0: any, as long as it fits)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--no-log", f->no_log, "Do not log conversations");
  app.add_option("--max-body", f->max_body, "Largest request body accepted (e.g. 32MiB)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("32MiB");
  app.add_option("--max-upstream-reply", f->max_upstream_reply,
                 "Largest non-streaming upstream reply relayed; a larger one is a 502 (streams are relayed whole)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("16MiB");
  app.add_option("--max-log-reply", f->max_log_reply,
                 "Most reply text a conversation record keeps; the rest is counted, not written")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("1MiB");
  auto* proxy_key = app.add_option("--proxy-key", f->proxy_key,
                                   "Require clients to send 'Authorization: Bearer KEY' (default: "
                                   "$AUTOSWARM_PROXY_KEY)");
  app.add_option("--proxy-key-file", f->proxy_key_file, "Read the --proxy-key value from this file's first line")
      ->excludes(proxy_key);
  app.add_flag("--insecure-no-auth", f->insecure_no_auth,
               "Allow listening on a non-loopback address without --proxy-key");
  app.add_option("--cors-origin", f->cors_origins,
                 "Also let browser pages from this origin call the proxy (repeatable; loopback pages "
                 "always may; '*' only with --proxy-key)");
  app.add_option("--timeout", f->timeout_s, "Seconds to wait for the upstream between two reads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--header-timeout", f->header_timeout_s,
                 "Seconds a client has to send a request's line and headers, in all")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-connections", f->max_connections, "Connections open at once, all clients")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("--max-connections-per-client", f->max_connections_per_client,
                 "Connections open at once from one client address")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("--alias", f->aliases,
                 "NAME=MODEL: requests naming NAME go to MODEL, for clients with a hard-coded "
                 "model name (repeatable)");
  app.add_flag("--wait", f->wait,
               "When no LLM server is found, keep looking (a line every 10 s) instead of exiting");
  return [f](const GlobalOptions& global) { return run_start(*f, global); };
}

}  // namespace autoswarm::cli
