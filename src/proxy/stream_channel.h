// Internal to the proxy: the hand-off between a stream's upstream thread, which reads the
// upstream and pushes what the client gets, and the client's connection, which writes it the
// moment it arrives. Chat streams (translated or not) and passed-through native streams share it.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "autoswarm/client_api/client_api.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/llm/client.h"

namespace autoswarm::proxy {

struct ProxyState;

struct StreamChannel {
  std::mutex mu;
  std::condition_variable cv;
  std::string events;           // text not yet written to the client (whole SSE events or lines)
  size_t pushed = 0;
  bool finished = false;        // everything the client gets is in `events`
  bool cancelled = false;       // the client went away (or the proxy is shutting down)
  // Set before the first push when the upstream's own content type is relayed; empty: the
  // protocol's stream content type.
  std::string content_type;
  // Set when the upstream failed before anything reached the client: it then gets this
  // status and error body instead of a stream (`upstream_error`: the upstream's own reply,
  // relayed in the client's protocol).
  int status = 200;
  std::string error_type, error_message;
  std::optional<llm::HttpReply> upstream_error;
  // The upstream has no route for the request (a pass-through's probe): nothing was sent, and
  // the request is to be translated instead.
  bool not_served = false;
  // The stream broke after it started and the proxy cannot end it in the protocol's own way
  // (a native stream relayed byte for byte): the client's connection is closed without the
  // stream's last chunk, as the upstream's was.
  bool cut = false;
  llm::Usage usage;

  // Past this much unsent text the upstream thread waits for the client to read: it stops
  // reading the upstream's socket, so TCP slows the upstream down instead of the proxy's
  // memory growing with a fast upstream and a slow client.
  static constexpr size_t kMaxQueuedBytes = 1024 * 1024;

  // Queues text for the client; false once it has gone.
  bool push(std::string_view text);
  bool cancelled_now();
  bool anything_pushed();
  void cancel();
};

// Runs `upstream` on a thread of its own, counted in the proxy's active streams (which stop()
// waits for). `upstream` reads the upstream, pushes into `ch` and writes the log record; the
// channel is marked finished after it returns, so the client's stream ends after its record
// was queued.
void start_stream_thread(const std::shared_ptr<ProxyState>& st, const std::shared_ptr<StreamChannel>& ch,
                         std::function<void()> upstream);

// Answers the client from `ch`: its error status and body in `api`'s protocol when the upstream
// failed before anything was pushed, else a chunked stream of everything pushed, written as it
// arrives. False, with nothing sent, when the upstream thread found the route not served.
bool answer_from_channel(const client_api::ClientApi* api, const std::shared_ptr<StreamChannel>& ch,
                         httplib::Response& res);

}  // namespace autoswarm::proxy
