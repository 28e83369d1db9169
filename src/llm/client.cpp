#include "autoswarm/llm/client.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "autoswarm/llm/errors.h"
#include "autoswarm/llm/sse_parser.h"
#include "autoswarm/llm/stream_assembler.h"
#include "autoswarm/util/json.h"
#include "autoswarm/version.h"

namespace autoswarm::llm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxIdleConnections = 16;

void set_timeout(httplib::Client& c, std::chrono::milliseconds t,
                 void (httplib::Client::*setter)(time_t, time_t)) {
  (c.*setter)(static_cast<time_t>(t.count() / 1000), static_cast<time_t>((t.count() % 1000) * 1000));
}

std::string seconds(std::chrono::milliseconds t) {
  return t.count() % 1000 == 0 ? std::to_string(t.count() / 1000) + " s"
                               : std::to_string(t.count()) + " ms";
}

// Turns a transport failure into the error a user can act on. `idle` is how long the
// connection had been silent when it failed: a read error after the read timeout is a timeout.
[[noreturn]] void throw_transport_error(httplib::Error error, const ClientOptions& o,
                                        Clock::duration idle) {
  const std::string url = o.base_url.str();
  switch (error) {
    case httplib::Error::ConnectionTimeout:
      throw TimeoutError("no connection to " + url + " within " + seconds(o.connect_timeout));
    case httplib::Error::Connection:
      throw ConnectionError("cannot connect to " + url + " (connection refused or host unreachable)");
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      throw ConnectionError("TLS connection to " + url + " failed: " + httplib::to_string(error));
    case httplib::Error::Read:
      if (idle + std::chrono::milliseconds(50) >= o.read_timeout) {
        throw TimeoutError(url + " did not answer within " + seconds(o.read_timeout));
      }
      throw ConnectionError("the connection to " + url + " was closed before a complete reply",
                            /*request_sent=*/true);
    default:
      throw ConnectionError("request to " + url + " failed: " + httplib::to_string(error),
                            /*request_sent=*/true);
  }
}

[[noreturn]] void throw_http_error(int status, const std::string& body, const std::string& retry_after,
                                   const ClientOptions& o) {
  ErrorBody parsed = parse_error_body(body);
  HttpError e(status, parsed.message, parsed.type, o.base_url.str());
  e.set_retry_after_seconds(parse_retry_after(retry_after));
  throw e;
}

// A Retry-After longer than this is the upstream's answer, not a wait worth holding a client for.
constexpr int kMaxRetryAfterSeconds = 30;
// Upstream servers close idle keep-alive connections after ~5 s (uvicorn, Node); one idle for
// longer is not reused, so a POST never meets a connection the server already closed.
constexpr auto kMaxIdleReuse = std::chrono::seconds(2);

bool is_success(int status) { return status >= 200 && status < 300; }

json parse_json_reply(const std::string& body, const ClientOptions& o, const char* what) {
  json j = util::try_parse_json(body);
  if (j.is_discarded()) {
    throw ProtocolError("the " + std::string(what) + " reply from " + o.base_url.str() +
                        " is not JSON: " + parse_error_body(body).message);
  }
  return j;
}

CancelledError cancelled(const ClientOptions& o) {
  return CancelledError("the call to " + o.base_url.str() + " was cancelled");
}

}  // namespace

// Idle keep-alive connections to the one upstream; a request leases one (or a new one) and
// gives it back when it ended cleanly. The pool also knows the connections in use, so that
// abort() can shut them down under the requests waiting on them.
class Client::Pool {
 public:
  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<httplib::Client> c) : pool_(pool), c_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (c_) pool_.end(std::move(c_), /*reusable=*/false);  // an error mid-request: close it
    }
    httplib::Client* operator->() const { return c_.get(); }
    httplib::Client& operator*() const { return *c_; }
    // The request ended cleanly: the connection may serve the next one.
    void release() { pool_.end(std::move(c_), /*reusable=*/true); }

   private:
    Pool& pool_;
    std::unique_ptr<httplib::Client> c_;
  };

  explicit Pool(const ClientOptions& options) : options_(options) {}

  Lease acquire() {
    std::unique_ptr<httplib::Client> c;
    {
      std::lock_guard lock(mu_);
      throw_if_aborted();
      while (!c && !idle_.empty()) {
        if (Clock::now() - idle_.back().since <= kMaxIdleReuse) c = std::move(idle_.back().client);
        idle_.pop_back();
      }
    }
    if (c) set_timeout(*c, options_.read_timeout, &httplib::Client::set_read_timeout);  // a call may have shortened it
    else c = connect();
    std::lock_guard lock(mu_);
    throw_if_aborted();
    busy_.insert(c.get());
    return Lease(*this, std::move(c));
  }

  void abort() {
    std::lock_guard lock(mu_);
    aborted_ = true;
    idle_.clear();
    for (httplib::Client* c : busy_) c->stop();  // thread-safe: shuts the socket down
  }

  bool aborted() {
    std::lock_guard lock(mu_);
    return aborted_;
  }

 private:
  std::unique_ptr<httplib::Client> connect() const {
    auto c = std::make_unique<httplib::Client>(options_.base_url.origin());
    set_timeout(*c, options_.connect_timeout, &httplib::Client::set_connection_timeout);
    set_timeout(*c, options_.read_timeout, &httplib::Client::set_read_timeout);
    set_timeout(*c, options_.read_timeout, &httplib::Client::set_write_timeout);
    c->set_keep_alive(true);
    // httplib writes a request's headers and body separately; with Nagle on, the body waits
    // for the server's delayed ACK of the headers (~40 ms per call on a reused connection).
    c->set_tcp_nodelay(true);
    c->set_decompress(false);
    if (options_.base_url.scheme == "https") c->enable_server_certificate_verification(true);
    if (!options_.api_key.empty()) c->set_bearer_token_auth(options_.api_key);
    return c;
  }

  void end(std::unique_ptr<httplib::Client> c, bool reusable) {
    std::lock_guard lock(mu_);
    busy_.erase(c.get());
    if (reusable && !aborted_ && idle_.size() < kMaxIdleConnections) idle_.push_back({std::move(c), Clock::now()});
  }

  void throw_if_aborted() const {
    if (aborted_) throw cancelled(options_);
  }

  const ClientOptions& options_;
  std::mutex mu_;
  struct Idle {
    std::unique_ptr<httplib::Client> client;
    Clock::time_point since;
  };
  std::vector<Idle> idle_;  // newest last
  std::set<httplib::Client*> busy_;
  bool aborted_ = false;
};

ClientOptions ClientOptions::for_endpoint(const Endpoint& endpoint) {
  ClientOptions o;
  o.base_url = endpoint.url;
  o.api_key = endpoint.key;
  return o;
}

Client::Client(ClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>(options_)) {}

Client::~Client() = default;

void Client::abort() { pool_->abort(); }

template <typename Fn>
auto Client::with_retries(const char* what, Method method, Fn&& attempt) {
  auto backoff = options_.retry_backoff;
  for (int tried = 0;; ++tried) {
    std::chrono::milliseconds wait = backoff;
    try {
      return attempt();
    } catch (const CancelledError&) {
      throw;
    } catch (const LlmError& e) {
      // A connection shut down by abort() surfaces as a transport error: say what it was.
      if (pool_->aborted()) throw cancelled(options_);
      bool retryable = false;
      if (auto* http = dynamic_cast<const HttpError*>(&e)) {
        // The server refused the request without running it: safe for a POST too.
        retryable = (http->status() == 429 || http->status() == 503) &&
                    http->retry_after_seconds() <= kMaxRetryAfterSeconds;
        wait = std::max(wait, std::chrono::milliseconds(1000LL * http->retry_after_seconds()));
      } else if (auto* conn = dynamic_cast<const ConnectionError*>(&e)) {
        retryable = method == Method::kGet || !conn->request_sent();
      }
      if (!retryable || tried >= options_.max_retries) throw;
      spdlog::debug("{} failed ({}); retry {} of {} in {} ms", what, e.what(), tried + 1,
                    options_.max_retries, wait.count());
    }
    std::this_thread::sleep_for(wait);
    backoff *= 2;
  }
}

static const httplib::Headers& json_headers() {
  static const httplib::Headers headers = {
      {"Accept-Encoding", "identity"},
      {"User-Agent", std::string("autoswarm/") + kVersion},
  };
  return headers;
}

std::vector<ModelInfo> Client::list_models() {
  return with_retries("list models", Method::kGet, [&] {
    HttpReply res = send_bounded("GET", options_.base_url.api_path("/models"), nullptr);
    if (!is_success(res.status)) throw_http_error(res.status, res.body, res.retry_after, options_);
    json j = parse_json_reply(res.body, options_, "models");
    std::optional<std::vector<ModelInfo>> models = read_model_list(j);
    if (!models) {
      throw ProtocolError("the models reply from " + options_.base_url.str() +
                          " has no \"data\" list: " + res.body.substr(0, 200));
    }
    return std::move(*models);
  });
}

ChatResponse Client::chat(const ChatRequest& request, std::optional<Clock::time_point> deadline) {
  const std::string body = request.to_json(false).dump();
  const std::string path = options_.base_url.api_path("/chat/completions");
  return with_retries("chat completion", Method::kPost, [&] {
    std::optional<std::chrono::milliseconds> read_timeout;
    if (deadline) {
      // Without streaming, the whole answer is one wait on the socket: a read timeout of the
      // time left is the deadline (rounded up, plus a little, so it ends after it, not before).
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()) +
                  std::chrono::milliseconds(10);
      left = std::max(left, std::chrono::milliseconds(1));
      if (options_.read_timeout.count() > 0) left = std::min(left, options_.read_timeout);
      read_timeout = left;
    }
    HttpReply res = send_bounded("POST", path, &body, read_timeout);
    if (!is_success(res.status)) throw_http_error(res.status, res.body, res.retry_after, options_);
    json j = parse_json_reply(res.body, options_, "chat completion");
    if (j.is_object() && j.contains("error") && !j.contains("choices")) {
      throw ProtocolError("upstream " + options_.base_url.str() + " reported an error: " +
                          parse_error_body(res.body).message);
    }
    return ChatResponse::from_json(j);
  });
}

// One streamed POST, not retried here: the reply's status and headers (and a non-2xx body, at
// most kMaxErrorBody), whether httplib read it to its end, and why not.
struct Client::StreamAttempt {
  HttpReply reply;
  bool ok = false;
  httplib::Error error = httplib::Error::Success;
  Clock::duration idle{};  // how long the connection had been silent when the call ended
};

ChatResponse Client::chat_stream(const ChatRequest& request, const ChunkHandler& on_chunk) {
  return chat_stream(request.to_json(true), on_chunk);
}

ChatResponse Client::chat_stream(json request_body, const ChunkHandler& on_chunk) {
  request_body["stream"] = true;
  if (!request_body["stream_options"].is_object()) request_body["stream_options"] = json::object();
  request_body["stream_options"]["include_usage"] = true;
  const std::string body = request_body.dump();
  const std::string path = options_.base_url.api_path("/chat/completions");
  const std::string url = options_.base_url.str();
  return with_retries("streaming chat completion", Method::kPost, [&] {
    StreamAssembler assembler(options_.max_assembled_bytes);
    SseParser parser;
    bool done = false, cancelled = false, delivered = false;
    std::optional<std::string> failure;

    auto on_event = [&](SseEvent&& event) {
      if (done || cancelled || failure) return;
      if (event.data == "[DONE]") {
        done = true;
        return;
      }
      json chunk = util::try_parse_json(event.data);
      if (chunk.is_discarded()) {
        failure = "upstream " + url + " sent a stream event that is not JSON: " +
                  parse_error_body(event.data).message;
        return;
      }
      delivered = true;
      if (chunk.is_object() && chunk.contains("error") && !chunk.contains("choices")) {
        on_chunk(chunk, event.data);  // the caller may relay the error event as it is
        failure = "upstream " + url + " reported an error mid-stream: " +
                  parse_error_body(event.data).message;
        return;
      }
      assembler.add(chunk);
      if (!on_chunk(chunk, event.data)) cancelled = true;
    };

    StreamAttempt attempt = send_streaming(path, body, nullptr, [&](std::string_view bytes, const HttpReply&) {
      try {
        parser.feed(bytes, on_event);
      } catch (const ProtocolError& e) {
        failure = e.what();
      }
      return !cancelled && !failure;
    });
    const HttpReply& res = attempt.reply;
    if (attempt.ok && is_success(res.status)) parser.finish(on_event);
    if (cancelled) {
      ChatResponse partial = assembler.result();
      partial.cancelled = true;
      return partial;
    }
    if (failure) throw StreamError(*failure, assembler.result());
    if (!attempt.ok) {
      if (delivered) {
        throw StreamError("the stream from " + url + " was cut before it finished (" +
                              httplib::to_string(attempt.error) + ")",
                          assembler.result());
      }
      throw_transport_error(attempt.error, options_, attempt.idle);
    }
    if (!is_success(res.status)) throw_http_error(res.status, res.body, res.retry_after, options_);
    ChatResponse reply = assembler.result();
    // Servers end with [DONE]; a stream that stopped without it and without a finish reason was
    // cut short (the upstream died or a proxy in between closed it).
    if (!done && reply.finish_reason.empty()) {
      throw StreamError("the stream from " + url + " ended before it finished (no [DONE])", reply);
    }
    return reply;
  });
}

HttpReply Client::post(std::string_view server_path, const std::string& json_body, const ExtraHeaders& headers,
                       PathBase base) {
  const std::string path = options_.base_url.path(base, server_path);
  return with_retries("POST", Method::kPost,
                      [&] { return send_bounded("POST", path, &json_body, std::nullopt, &headers); });
}

HttpReply Client::post_stream(std::string_view server_path, const std::string& json_body, const ExtraHeaders& headers,
                              const BytesHandler& on_bytes, PathBase base) {
  const std::string path = options_.base_url.path(base, server_path);
  return with_retries("streaming POST", Method::kPost, [&] {
    bool delivered = false;
    StreamAttempt attempt = send_streaming(path, json_body, &headers, [&](std::string_view bytes, const HttpReply& head) {
      delivered = true;
      return on_bytes(bytes, head);
    });
    if (attempt.reply.cancelled) return attempt.reply;  // left mid-body: the connection is closed
    if (!attempt.ok) {
      if (delivered) {
        throw StreamError("the stream from " + options_.base_url.str() + " was cut before it finished (" +
                              httplib::to_string(attempt.error) + ")",
                          ChatResponse{});
      }
      throw_transport_error(attempt.error, options_, attempt.idle);
    }
    return attempt.reply;
  });
}

Client::StreamAttempt Client::send_streaming(const std::string& path, const std::string& json_body,
                                             const ExtraHeaders* headers, const BytesHandler& on_bytes) {
  StreamAttempt attempt;
  HttpReply& reply = attempt.reply;
  std::exception_ptr handler_exception;  // never let an exception unwind through httplib
  auto last_activity = Clock::now();

  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = json_headers();
  if (options_.internal) req.headers.emplace("X-Autoswarm-Internal", "1");
  if (headers != nullptr) {
    for (const auto& [name, value] : *headers) req.headers.emplace(name, value);
  }
  req.headers.emplace("Accept", "text/event-stream");
  req.headers.emplace("Content-Type", "application/json");
  req.body = json_body;
  req.response_handler = [&](const httplib::Response& r) {
    reply.status = r.status;
    reply.content_type = r.get_header_value("Content-Type");
    reply.retry_after = r.get_header_value("Retry-After");
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    last_activity = Clock::now();
    if (!is_success(reply.status)) {
      if (reply.body.size() < kMaxErrorBody) reply.body.append(data, std::min(n, kMaxErrorBody - reply.body.size()));
      return true;
    }
    try {
      if (!on_bytes(std::string_view(data, n), reply)) reply.cancelled = true;
    } catch (...) {
      handler_exception = std::current_exception();
      return false;
    }
    return !reply.cancelled;
  };

  auto conn = pool_->acquire();
  httplib::Response res;
  attempt.ok = conn->send(req, res, attempt.error);
  attempt.idle = Clock::now() - last_activity;
  if (handler_exception) std::rethrow_exception(handler_exception);
  if (attempt.ok && is_success(reply.status)) conn.release();
  return attempt;
}

HttpReply Client::get_api(std::string_view api_path) {
  const std::string path = options_.base_url.api_path(api_path);
  return with_retries("GET", Method::kGet, [&] { return send_bounded("GET", path, nullptr); });
}

HttpReply Client::get(std::string_view root_path) {
  return send_bounded("GET", options_.base_url.root_path(root_path), nullptr);
}

HttpReply Client::send_bounded(const char* method, const std::string& path, const std::string* json_body,
                               std::optional<std::chrono::milliseconds> read_timeout,
                               const ExtraHeaders* extra_headers) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = json_headers();
  if (options_.internal) req.headers.emplace("X-Autoswarm-Internal", "1");
  if (extra_headers != nullptr) {
    for (const auto& [name, value] : *extra_headers) req.headers.emplace(name, value);
  }
  if (json_body != nullptr) {
    req.headers.emplace("Content-Type", "application/json");
    req.body = *json_body;
  }
  HttpReply reply;
  bool too_large = false;
  req.response_handler = [&](const httplib::Response& r) {
    reply.status = r.status;
    return true;
  };
  // The body is read here, not by httplib, so that a reply past the limit stops being read.
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (n > options_.max_reply_bytes - reply.body.size()) {
      too_large = true;
      return false;
    }
    reply.body.append(data, n);
    return true;
  };
  auto conn = pool_->acquire();
  if (read_timeout) set_timeout(*conn, *read_timeout, &httplib::Client::set_read_timeout);
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  auto start = Clock::now();
  bool ok = conn->send(req, res, error);
  if (too_large) {
    throw ReplyTooLargeError("the reply from " + options_.base_url.str() + " is larger than " +
                             std::to_string(options_.max_reply_bytes) + " bytes; it was not read further");
  }
  if (!ok) throw_transport_error(error, options_, Clock::now() - start);
  if (read_timeout) set_timeout(*conn, options_.read_timeout, &httplib::Client::set_read_timeout);
  conn.release();
  reply.content_type = res.get_header_value("Content-Type");
  reply.retry_after = res.get_header_value("Retry-After");
  return reply;
}

}  // namespace autoswarm::llm
