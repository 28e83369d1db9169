#include "gated_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace autoswarm::proxy {
namespace {

// A socket as httplib's Stream, with a deadline on everything read. Reads go through a buffer
// that lives as long as the connection: httplib reads headers a byte at a time, and bytes of a
// pipelined next request must survive the end of the current one.
class GatedStream final : public httplib::Stream {
 public:
  GatedStream(socket_t sock, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
      : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  bool has_buffered() const { return pos_ < buffer_.size(); }

  bool is_readable() const override { return has_buffered() || wait_for(POLLIN, read_wait()); }
  bool is_writable() const override { return wait_for(POLLOUT, write_timeout_) && alive(); }

  ssize_t read(char* ptr, size_t size) override {
    if (!has_buffered()) {
      if (!wait_for(POLLIN, read_wait())) return -1;
      buffer_.resize(kBufferSize);
      ssize_t n;
      do n = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0) {
        buffer_.clear();
        pos_ = 0;
        return n;
      }
      buffer_.resize(static_cast<size_t>(n));
      pos_ = 0;
    }
    size_t n = std::min(size, buffer_.size() - pos_);
    std::memcpy(ptr, buffer_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!wait_for(POLLOUT, write_timeout_)) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) describe(addr, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) describe(addr, ip, port);
  }
  socket_t socket() const override { return sock_; }

  static void describe(const sockaddr_storage& addr, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
      ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
      port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
      ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
      port = ntohs(a.sin6_port);
    }
    ip = text;
  }

 private:
  static constexpr size_t kBufferSize = 16 * 1024;

  // How long one read may wait: the read timeout, but never past the request's deadline.
  std::chrono::milliseconds read_wait() const {
    if (deadline_ == Clock::time_point{}) return read_timeout_;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::clamp(left, std::chrono::milliseconds(0), read_timeout_);
  }

  bool wait_for(short events, std::chrono::milliseconds timeout) const {
    pollfd p{sock_, events, 0};
    int rc;
    do rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (rc < 0 && errno == EINTR);
    return rc > 0 && (p.revents & (events | POLLHUP | POLLERR));
  }

  // A peer that closed its end is not worth writing to (a stream relay stops early).
  bool alive() const {
    if (has_buffered()) return true;
    pollfd p{sock_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    char byte;
    ssize_t n = ::recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  socket_t sock_;
  std::chrono::milliseconds read_timeout_;
  std::chrono::milliseconds write_timeout_;
  Clock::time_point deadline_{};
  std::string buffer_;
  size_t pos_ = 0;
};

struct CurrentConnection {
  GatedStream* stream = nullptr;
  const ConnectionLimits* limits = nullptr;
};
thread_local CurrentConnection current;

std::chrono::milliseconds seconds_to_ms(time_t sec, time_t usec) {
  return std::chrono::milliseconds(sec * 1000 + usec / 1000);
}

void close_socket(socket_t sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

void refuse_busy(socket_t sock, const std::string& why) {
  std::string body =
      nlohmann::json{{"error", {{"message", why + "; try again shortly"}, {"type", "server_busy"},
                                {"param", nullptr}, {"code", 503}}}}
          .dump();
  std::string reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                      "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
  timeval tv{1, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  (void)::send(sock, reply.data(), reply.size(), MSG_NOSIGNAL);
  close_socket(sock);
}

}  // namespace

void GatedServer::headers_read(const httplib::Request& req) {
  if (!current.stream) return;
  size_t length = 0;
  std::string header = req.get_header_value("Content-Length");
  if (!header.empty()) length = std::strtoull(header.c_str(), nullptr, 10);
  auto allowance = current.limits->body_timeout +
                   std::chrono::seconds(length / std::max<size_t>(1, current.limits->body_bytes_per_extra_second));
  current.stream->set_deadline(Clock::now() + allowance);
}

void GatedServer::stop_listening() {
  socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) close_socket(sock);
}

size_t GatedServer::open_connections() {
  std::lock_guard lock(mu_);
  return open_;
}

bool GatedServer::admit(const std::string& client) {
  std::lock_guard lock(mu_);
  if (open_ >= limits_.max_connections) return false;
  size_t& mine = per_client_[client];
  if (mine >= limits_.max_connections_per_client) {
    if (mine == 0) per_client_.erase(client);
    return false;
  }
  ++mine;
  ++open_;
  return true;
}

void GatedServer::release(const std::string& client) {
  std::lock_guard lock(mu_);
  --open_;
  auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

// httplib's own loop (process_server_socket) with three changes: the stream has deadlines, the
// connection is admitted against the caps first, and the keep-alive wait ends when the server
// stops.
bool GatedServer::process_and_close_socket(socket_t sock) {
  GatedStream stream(sock, seconds_to_ms(read_timeout_sec_, read_timeout_usec_),
                     seconds_to_ms(write_timeout_sec_, write_timeout_usec_));
  std::string client;
  int client_port = 0;
  stream.get_remote_ip_and_port(client, client_port);
  if (!admit(client)) {
    refuse_busy(sock, "too many connections from " + client);
    return false;
  }
  current = {&stream, &limits_};

  bool ok = true;
  const auto keep_alive = std::chrono::seconds(keep_alive_timeout_sec_);
  for (size_t count = keep_alive_max_count_; count > 0 && svr_sock_ != INVALID_SOCKET; --count) {
    // Wait for the next request in short slices, so a stopped server lets idle connections go.
    auto idle_until = Clock::now() + keep_alive;
    bool ready = stream.has_buffered();
    while (!ready && svr_sock_ != INVALID_SOCKET && Clock::now() < idle_until) {
      pollfd p{sock, POLLIN, 0};
      int rc = ::poll(&p, 1, 100);
      if (rc < 0 && errno != EINTR) break;
      ready = rc > 0;
    }
    if (!ready || svr_sock_ == INVALID_SOCKET) break;

    stream.set_deadline(Clock::now() + limits_.header_timeout);
    bool connection_closed = false;
    ok = process_request(stream, count == 1, connection_closed, nullptr);
    stream.set_deadline({});
    if (!ok || connection_closed) break;
  }

  current = {};
  release(client);
  close_socket(sock);
  return ok;
}

}  // namespace autoswarm::proxy
