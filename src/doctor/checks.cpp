// The doctor's environment checks: binding the port, writing in the data directory, loading
// skills.yaml, asking docker for its version.
#include "autoswarm/doctor/checks.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "autoswarm/llm/client.h"
#include "autoswarm/llm/errors.h"
#include "autoswarm/skills/skill_book.h"
#include "autoswarm/util/error.h"
#include "autoswarm/util/json.h"
#include "autoswarm/util/subprocess.h"

namespace autoswarm::doctor {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Check make_check(CheckStatus status, std::string message, std::vector<std::string> fixes = {},
                 std::vector<std::string> hints = {}) {
  Check c;
  c.status = status;
  c.message = std::move(message);
  c.fixes = std::move(fixes);
  c.hints = std::move(hints);
  return c;
}

// A path as a shell word, so that a fix line can be pasted as it is.
std::string shell_quote(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("/._-+=:,@%~", ch) != nullptr;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char ch : word) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

// errno of binding a listening-style socket to host:port (0: the port is free), or -1 with
// `why` set when the host does not resolve.
int bind_error(const std::string& host, int port, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    why = ::gai_strerror(rc);
    return -1;
  }
  int error = 0;
  int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) {
    error = errno;
  } else {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);  // as the proxy's server does
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) error = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return error;
}

// What answers GET /health on a port that is taken.
Check identify_port_owner(const std::string& host, int port, std::chrono::milliseconds timeout) {
  std::string connect_host = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  if (connect_host.find(':') != std::string::npos) connect_host = "[" + connect_host + "]";
  const std::string where = host + ":" + std::to_string(port);
  const std::string next_port = std::to_string(port < 65535 ? port + 1 : port - 1);
  Check taken = make_check(CheckStatus::kProblem, "", {"autoswarm start --port " + next_port},
                           {"to see which program holds it: ss -ltnp 'sport = :" +
                            std::to_string(port) + "'"});
  try {
    llm::ClientOptions o;
    o.base_url = llm::BaseUrl::parse("http://" + connect_host + ":" + std::to_string(port));
    o.connect_timeout = timeout;
    o.read_timeout = timeout;
    o.max_retries = 0;
    llm::Client client(o);
    llm::HttpReply reply = client.get("/health");
    json health = util::try_parse_json(reply.body);
    if (reply.status == 200 && health.is_object() && health.value("service", json()) == "autoswarm") {
      Check ours = make_check(CheckStatus::kOk, where + " is already served by an autoswarm proxy");
      if (health.contains("version") && health["version"].is_string()) {
        ours.message += " (version " + health["version"].get<std::string>() + ")";
      }
      ours.details["state"] = "autoswarm";
      return ours;
    }
    taken.message = where + " is taken by another program (GET /health gave HTTP " +
                    std::to_string(reply.status) + ", not an autoswarm proxy)";
  } catch (const Error&) {
    taken.message = where + " is taken by a program that does not answer HTTP";
  }
  taken.details["state"] = "taken";
  return taken;
}

}  // namespace

const char* to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk: return "ok";
    case CheckStatus::kWarning: return "warning";
    case CheckStatus::kProblem: return "problem";
  }
  return "problem";
}

Check check_proxy_port(const std::string& host, int port, std::chrono::milliseconds timeout) {
  std::string why;
  const std::string where = host + ":" + std::to_string(port);
  Check c;
  switch (int error = bind_error(host, port, why)) {
    case 0:
      c = make_check(CheckStatus::kOk, where + " is free");
      c.details["state"] = "free";
      break;
    case EADDRINUSE:
      c = identify_port_owner(host, port, timeout);
      break;
    case EACCES:
      c = make_check(CheckStatus::kProblem, "port " + std::to_string(port) + " needs root privileges",
                     {"autoswarm start --port 8080"});
      c.details["state"] = "forbidden";
      break;
    default:
      c = make_check(CheckStatus::kProblem,
                     "cannot listen on " + where + ": " + (error < 0 ? why : std::strerror(error)),
                     {"autoswarm start --host 127.0.0.1"});
      c.details["state"] = "unavailable";
  }
  c.details["host"] = host;
  c.details["port"] = port;
  return c;
}

Check check_data_dir(const util::DataDir& dir) {
  const fs::path& root = dir.root();
  std::error_code ec;
  const bool existed = fs::exists(root, ec);
  Check c;
  c.details = {{"path", root.string()}, {"created", false}, {"writable", false}};
  try {
    dir.ensure();
  } catch (const Error& e) {
    c = make_check(CheckStatus::kProblem, e.what(), {"mkdir -p -m 700 " + shell_quote(root.string())},
                   {"or choose another directory with --home DIR or AUTOSWARM_HOME"});
    c.details = {{"path", root.string()}, {"created", false}, {"writable", false}};
    return c;
  }
  c.details["created"] = !existed;

  const fs::path probe = root / (".doctor-write-test-" + std::to_string(::getpid()));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool written = fd >= 0 && ::write(fd, "ok\n", 3) == 3;
  int write_errno = errno;
  if (fd >= 0) ::close(fd);
  ::unlink(probe.c_str());
  if (!written) {
    c.status = CheckStatus::kProblem;
    c.message = root.string() + " is not writable: " + std::strerror(write_errno);
    c.fixes = {"chmod u+rwx " + shell_quote(root.string())};
    c.hints = {"if another user owns it: sudo chown -R \"$USER\" " + shell_quote(root.string())};
    return c;
  }
  c.details["writable"] = true;

  struct stat info {};
  unsigned mode = ::stat(root.c_str(), &info) == 0 ? info.st_mode & 07777 : 0700;
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", mode);
  c.details["mode"] = octal;
  c.message = root.string() + " (writable, mode " + octal + (existed ? ")" : ", created now)");
  if ((mode & 077) != 0) {
    c.status = CheckStatus::kWarning;
    c.message = root.string() + " can be read by other users (mode " + octal +
                "), but the conversations in it are private";
    c.fixes = {"chmod 700 " + shell_quote(root.string())};
  }
  return c;
}

Check check_skills(const fs::path& skills_file) {
  Check c;
  std::error_code ec;
  c.details = {{"path", skills_file.string()}, {"present", fs::exists(skills_file, ec)}};
  if (!c.details["present"].get<bool>()) {
    c.message = "no skills.yaml yet (autoswarm reflect creates it)";
    return c;
  }
  try {
    skills::SkillBook book = skills::SkillBook::load(skills_file);
    c.details["skills"] = book.skills.size();
    c.message = skills_file.string() + ": " + std::to_string(book.skills.size()) +
                (book.skills.size() == 1 ? " skill" : " skills");
  } catch (const Error& e) {
    c = make_check(CheckStatus::kProblem, e.what(),
                   {"mv " + shell_quote(skills_file.string()) + " " +
                    shell_quote(skills_file.string() + ".broken")},
                   {"or correct the line named above by hand; the proxy injects no skills until then"});
    c.details = {{"path", skills_file.string()}, {"present", true}, {"error", e.what()}};
  }
  return c;
}

Check check_docker(const std::string& docker_program, std::chrono::milliseconds timeout) {
  const std::string purpose = " (needed only for benchmark mode)";
  util::ProcessOptions options;
  options.timeout = timeout;
  util::ProcessResult r;
  Check c;
  try {
    r = util::run_process({docker_program, "version", "--format", "{{.Server.Version}}"}, options);
  } catch (const Error&) {
    c = make_check(CheckStatus::kWarning, "docker is not installed" + purpose,
                   {"sudo apt-get install docker.io"});
    c.details = {{"installed", false}, {"server_version", nullptr}};
    return c;
  }
  c.details = {{"installed", true}, {"server_version", nullptr}};
  const std::string version = first_line(r.out);
  if (r.timed_out) {
    c = make_check(CheckStatus::kWarning,
                   "docker version did not answer within " +
                       std::to_string(timeout.count() / 1000) + " s" + purpose,
                   {}, {"the docker daemon may be stuck: sudo systemctl restart docker"});
    c.details = {{"installed", true}, {"server_version", nullptr}};
  } else if (r.exit_code == 0 && !version.empty()) {
    c.message = "docker " + version;
    c.details["server_version"] = version;
  } else if (r.err.find("ermission denied") != std::string::npos) {
    c = make_check(CheckStatus::kWarning, "docker: no permission to use the daemon" + purpose,
                   {"sudo usermod -aG docker \"$USER\""}, {"then log out and in again"});
    c.details = {{"installed", true}, {"server_version", nullptr}};
  } else if (r.err.find("Cannot connect") != std::string::npos ||
             r.err.find("daemon running") != std::string::npos) {
    c = make_check(CheckStatus::kWarning, "the docker daemon is not running" + purpose,
                   {"sudo dockerd"}, {"or, with systemd: sudo systemctl start docker"});
    c.details = {{"installed", true}, {"server_version", nullptr}};
  } else {
    c = make_check(CheckStatus::kWarning,
                   "docker version failed: " + first_line(r.err.empty() ? r.out : r.err) + purpose);
    c.details = {{"installed", true}, {"server_version", nullptr}};
  }
  return c;
}

}  // namespace autoswarm::doctor
