// The OpenAI-compatible HTTP client every feature talks to an LLM through: the proxy, reflect
// and the bench agents. Thread-safe; keeps a small pool of keep-alive connections.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autoswarm/llm/base_url.h"
#include "autoswarm/llm/chat.h"
#include "autoswarm/llm/endpoint.h"
#include "autoswarm/llm/model_list.h"

namespace autoswarm::llm {

struct ClientOptions {
  BaseUrl base_url;
  std::string api_key;                                    // sent as "Authorization: Bearer"; never logged
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{600000};         // per read: local models can be slow
  // Retries of a refused connection, 429 and 503 (after Retry-After when it says, up to 30 s);
  // a POST whose connection broke after it was sent is never sent again.
  int max_retries = 2;
  std::chrono::milliseconds retry_backoff{500};           // doubles on each retry
  // The largest non-streaming reply body read (a bigger one ends the call with
  // ReplyTooLargeError), and the most text a streamed reply is assembled into: content,
  // reasoning and tool arguments together; past it the rest is counted in `cut_bytes`, not
  // kept. Streamed chunks still reach the caller's handler whole.
  size_t max_reply_bytes = 16 * 1024 * 1024;
  size_t max_assembled_bytes = 16 * 1024 * 1024;
  // Sends "X-Autoswarm-Internal: 1": AutoSwarm's own calls (reflect, bench agents and judges)
  // say so, and a proxy they are pointed at neither logs them nor injects skills. The proxy
  // turns it off for what it relays for its clients.
  bool internal = true;

  // The endpoint's URL and key, with the default timeouts and retries.
  static ClientOptions for_endpoint(const Endpoint& endpoint);
};

// A raw HTTP answer, for callers that probe server-specific endpoints (upstream, doctor).
struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // the Retry-After header of a 429 / 503, for the proxy to pass on
  bool cancelled = false;   // post_stream: the handler stopped reading the body
};

// Request headers a caller adds to a POST (the Anthropic client's anthropic-version), as
// (name, value) pairs.
using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }

  // GET /v1/models. An upstream answering "data": null (Ollama, fresh install) has no models.
  std::vector<ModelInfo> list_models();

  // POST /v1/chat/completions without streaming. With a `deadline`, a model that has not
  // answered by then ends the call with TimeoutError (a bench agent's time limit).
  ChatResponse chat(const ChatRequest& request,
                    std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

  // Called with every streamed chunk as it arrives: its parsed JSON and the exact text of its
  // "data:" field. Returning false stops the stream (the reply comes back with `cancelled`).
  using ChunkHandler = std::function<bool(const json& chunk, std::string_view data)>;

  // POST /v1/chat/completions with "stream": true and usage included; returns the assembled
  // reply. An error event in the stream or a cut before [DONE] throws StreamError (with the
  // partial reply) after the handler has seen every chunk that did arrive. Retries happen only
  // before the first chunk reached the handler.
  ChatResponse chat_stream(const ChatRequest& request, const ChunkHandler& on_chunk);
  // The same for a request body the caller already holds as JSON (the proxy relays what its
  // client sent); "stream" and "stream_options.include_usage" are set on it.
  ChatResponse chat_stream(json body, const ChunkHandler& on_chunk);

  // POST of a JSON body to an API path ("/embeddings"; with PathBase::kRoot a server path such as
  // Ollama's "/api/chat"), returning the upstream's status and body as they are, for relaying.
  // Retries connection errors only; the caller interprets the status.
  HttpReply post(std::string_view path, const std::string& json_body, const ExtraHeaders& headers = {},
                 PathBase base = PathBase::kApi);

  // Called with the bytes of a streamed body as they arrive, split anywhere, and the reply's
  // status and headers (`head`, its body empty). Returning false stops reading (the reply comes
  // back with `cancelled`).
  using BytesHandler = std::function<bool(std::string_view bytes, const HttpReply& head)>;

  // POST of a JSON body whose 2xx reply is handed to `on_bytes` as it arrives, unparsed and
  // unbuffered (a native protocol's event stream, relayed as it is). The reply returned has
  // the status, content type and Retry-After; for a non-2xx status also the body (at most
  // 64 KiB), which never reaches the handler. Every read waits at most read_timeout. Retries
  // connection errors before anything was sent, like post(). A transport failure before the
  // first byte throws ConnectionError / TimeoutError; one after it StreamError (with an empty
  // partial reply: the caller reads the bytes it was given).
  HttpReply post_stream(std::string_view path, const std::string& json_body, const ExtraHeaders& headers,
                        const BytesHandler& on_bytes, PathBase base = PathBase::kApi);

  // GET of an API path ("/models") returning status and body as they are, for relaying.
  HttpReply get_api(std::string_view api_path);

  // GET of a path outside /v1 (e.g. "/api/tags"), without retries or status checks: the caller
  // interprets the status. Throws ConnectionError / TimeoutError when nothing answers.
  HttpReply get(std::string_view root_path);

  // Makes every call in flight fail now (its connection is shut down) and every later call
  // fail at once, with CancelledError: for a Ctrl-C that must not wait minutes for a slow
  // model to answer. Thread-safe; there is no way back.
  void abort();

 private:
  class Pool;
  struct StreamAttempt;
  StreamAttempt send_streaming(const std::string& path, const std::string& json_body, const ExtraHeaders* headers,
                               const BytesHandler& on_bytes);
  HttpReply send_bounded(const char* method, const std::string& path, const std::string* json_body,
                         std::optional<std::chrono::milliseconds> read_timeout = std::nullopt,
                         const ExtraHeaders* extra_headers = nullptr);
  enum class Method { kGet, kPost };  // a POST that may have run is never sent again
  template <typename Fn>
  auto with_retries(const char* what, Method method, Fn&& attempt);

  ClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace autoswarm::llm
