// What can go wrong talking to an upstream, as types a caller can act on (retry, map to an
// HTTP status, tell the user). Messages name the upstream URL.
#pragma once

#include <string>
#include <string_view>

#include "autoswarm/llm/chat.h"
#include "autoswarm/util/error.h"

namespace autoswarm::llm {

// Base of every upstream failure.
class LlmError : public Error {
 public:
  using Error::Error;
};

// Nothing answered: connection refused, unknown host, TLS failure — or the connection broke
// after the request went out (`request_sent`), when the upstream may have acted on it, so a
// POST must not be sent again.
class ConnectionError : public LlmError {
 public:
  explicit ConnectionError(const std::string& what, bool request_sent = false)
      : LlmError(what), request_sent_(request_sent) {}
  bool request_sent() const { return request_sent_; }

 private:
  bool request_sent_;
};

// Connected, but no answer within the connect or read timeout.
class TimeoutError : public LlmError {
 public:
  using LlmError::LlmError;
};

// The upstream answered with a non-2xx status. `upstream_message` is the message it gave
// (parsed from any of the error body shapes below), or a summary of a body that is not JSON.
class HttpError : public LlmError {
 public:
  HttpError(int status, std::string upstream_message, std::string type, const std::string& url);
  int status() const { return status_; }
  const std::string& upstream_message() const { return upstream_message_; }
  const std::string& type() const { return type_; }
  // Seconds from a Retry-After header (429, 503); 0 when it gave none.
  int retry_after_seconds() const { return retry_after_seconds_; }
  void set_retry_after_seconds(int s) { retry_after_seconds_ = s; }

 private:
  int status_;
  int retry_after_seconds_ = 0;
  std::string upstream_message_;
  std::string type_;
};

// The call was abandoned because Client::abort() was called (the program is shutting down).
class CancelledError : public LlmError {
 public:
  using LlmError::LlmError;
};

// The upstream answered 2xx with something that is not a valid OpenAI response.
class ProtocolError : public LlmError {
 public:
  using LlmError::LlmError;
};

// A reply body larger than the client keeps (ClientOptions::max_reply_bytes): read no further,
// so a hostile or broken upstream cannot grow the process without limit.
class ReplyTooLargeError : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

// A stream that failed after it started: an error event mid-stream (vLLM) or a cut before
// [DONE]. `partial` is the reply assembled from the chunks that did arrive.
class StreamError : public ProtocolError {
 public:
  StreamError(const std::string& message, ChatResponse partial)
      : ProtocolError(message), partial_(std::move(partial)) {}
  const ChatResponse& partial() const { return partial_; }

 private:
  ChatResponse partial_;
};

// The message and type found in an upstream error body. Understands OpenAI's
// {"error":{"message","type"}}, vLLM's older {"object":"error","message","type"}, Ollama's
// {"error":"text"}, and plain text (trimmed and shortened). Never throws.
struct ErrorBody {
  std::string message;
  std::string type;
  nlohmann::json code;  // the upstream's error code ("rate_limit_exceeded", 429), null when none
};
ErrorBody parse_error_body(std::string_view body);

// Whole seconds in a Retry-After header ("7"); 0 for none, an HTTP date or anything else.
int parse_retry_after(const std::string& header);

}  // namespace autoswarm::llm
