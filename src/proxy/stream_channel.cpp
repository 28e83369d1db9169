#include "stream_channel.h"

#include <thread>

#include "proxy_state.h"

namespace autoswarm::proxy {

bool StreamChannel::push(std::string_view text) {
  if (text.empty()) return !cancelled_now();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return cancelled || events.size() < kMaxQueuedBytes; });
    if (cancelled) return false;
    events.append(text);
    ++pushed;
  }
  cv.notify_all();
  return true;
}

bool StreamChannel::cancelled_now() {
  std::lock_guard lock(mu);
  return cancelled;
}

bool StreamChannel::anything_pushed() {
  std::lock_guard lock(mu);
  return pushed > 0;
}

void StreamChannel::cancel() {
  {
    std::lock_guard lock(mu);
    cancelled = true;
  }
  cv.notify_all();
}

void start_stream_thread(const std::shared_ptr<ProxyState>& st, const std::shared_ptr<StreamChannel>& ch,
                         std::function<void()> upstream) {
  {
    std::lock_guard lock(st->streams_mu);
    ++st->active_streams;
  }
  std::thread([st, ch, upstream = std::move(upstream)] {
    upstream();
    {
      std::lock_guard lock(ch->mu);
      ch->finished = true;
    }
    ch->cv.notify_all();
    {
      std::lock_guard lock(st->streams_mu);
      --st->active_streams;
    }
    st->streams_cv.notify_all();
  }).detach();
}

bool answer_from_channel(const client_api::ClientApi* api, const std::shared_ptr<StreamChannel>& ch,
                         httplib::Response& res) {
  std::string content_type;
  // The status line waits for the first event: an upstream that fails before it (refused,
  // 404 model, 503) gets its own status and error body, as a non-streaming call would.
  {
    std::unique_lock lock(ch->mu);
    ch->cv.wait(lock, [&] { return ch->pushed > 0 || ch->finished; });
    if (ch->pushed == 0) {
      if (ch->not_served) return false;
      request_note().usage = ch->usage;
      if (ch->upstream_error) {
        send_upstream_error_as(api, res, *ch->upstream_error);
      } else {
        send_error_as(api, res, ch->error_message.empty() ? 502 : ch->status,
                      ch->error_message.empty() ? "the stream ended before it started" : ch->error_message,
                      ch->error_type.empty() ? "upstream_error" : ch->error_type);
      }
      return true;
    }
    content_type = ch->content_type;
  }
  if (content_type.empty()) content_type = api ? api->stream_content_type() : "text/event-stream";
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      content_type,
      [ch](size_t, httplib::DataSink& sink) {
        for (;;) {
          // Whatever arrived since the last write goes out in one write.
          std::string text;
          bool finished = false, cut = false;
          {
            std::unique_lock lock(ch->mu);
            ch->cv.wait(lock, [&] { return !ch->events.empty() || ch->finished; });
            text.swap(ch->events);
            finished = ch->finished;
            cut = ch->cut;
            if (finished) request_note().usage = ch->usage;
          }
          ch->cv.notify_all();  // an upstream thread waiting for room may go on
          if (!text.empty() && !sink.write(text.data(), text.size())) {
            ch->cancel();
            return false;
          }
          if (finished) {
            if (cut) return false;  // httplib closes the connection without the last chunk
            sink.done();
            return true;
          }
        }
      },
      [ch](bool success) {
        if (!success) ch->cancel();
      });
  return true;
}

}  // namespace autoswarm::proxy
