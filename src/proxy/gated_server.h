// An httplib::Server that bounds what a client can hold: a total deadline for a request's
// headers and for its body (a byte now and then no longer keeps a connection forever), and a
// cap on connections per client address and in all. Over a cap, a connection gets a 503 JSON
// error and is closed at once, so a new client is still answered while others misbehave.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace autoswarm::proxy {

// The proxy's one clock for deadlines and latencies (never the wall clock, which can jump).
using Clock = std::chrono::steady_clock;

struct ConnectionLimits {
  std::chrono::milliseconds header_timeout{10000};     // request line and headers, in all
  std::chrono::milliseconds body_timeout{30000};       // a body's base allowance, plus …
  size_t body_bytes_per_extra_second = 64 * 1024;      // … a second for each this many bytes
  size_t max_connections = 1024;                       // open at once, all clients
  size_t max_connections_per_client = 256;             // open at once, one client address
};

class GatedServer : public httplib::Server {
 public:
  GatedServer() = default;
  // Before bind; the limits apply to connections accepted after.
  void set_limits(const ConnectionLimits& limits) { limits_ = limits; }

  // Called from the pre-routing handler once a request's headers are in: the connection's
  // deadline moves from the header deadline to one for the request's body.
  static void headers_read(const httplib::Request& req);

  size_t open_connections();

  // Closes the listening socket: listen_after_bind() returns (or, not yet called, returns at
  // once). Unlike httplib's stop(), it also works before the listen loop has started.
  void stop_listening();

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool admit(const std::string& client);
  void release(const std::string& client);

  ConnectionLimits limits_;
  std::mutex mu_;
  std::map<std::string, size_t> per_client_;
  size_t open_ = 0;
};

}  // namespace autoswarm::proxy
