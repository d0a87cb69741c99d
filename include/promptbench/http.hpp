// SPDX-License-Identifier: Apache-2.0
// The lowest layer: an HTTP request, its response and why a request produced no answer.
// Providers build and read these, transports move them; this header includes no other
// project header, so both can depend on it without depending on each other.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace promptbench {

struct HttpHeader {
  std::string name;
  std::string value;
  bool secret = false;  ///< carries a credential: never logged, never part of a cache key
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
  /// The answer arrives as server-sent events: the transport records when each part of
  /// the body arrived (HttpResponse::arrivals) and gives up on a stream that sends nothing
  /// for `idle_timeout`.
  bool stream = false;
  std::chrono::milliseconds idle_timeout{0};  ///< 0 = no idle limit
};

/// Body bytes [0, end) had arrived `ms` milliseconds after the request started.
struct BodyArrival {
  std::size_t end = 0;
  double ms = 0;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  ///< names lower-cased
  std::string body;
  double latency_ms = 0;  ///< request start to last byte
  /// For a streamed request: when each part of the body arrived, in body order. Empty
  /// otherwise.
  std::vector<BodyArrival> arrivals;

  /// The first header with this (lower-case) name, if any.
  [[nodiscard]] const std::string* header(const std::string& name) const;
};

/// Why a request produced no completion. Recorded on the case; never fatal to the run.
/// `stream_error`: a streamed answer that began with HTTP 200 reported an error part-way
/// (an SSE `error` event), or ended before its last event.
enum class ErrorKind {
  network,
  timeout,
  http_status,
  bad_response,
  too_large,
  cancelled,
  stream_error
};
[[nodiscard]] const char* to_string(ErrorKind kind);

struct RequestError {
  ErrorKind kind = ErrorKind::network;
  int http_status = 0;         ///< for http_status
  std::string message;         ///< the server's own error message where it gave one
  bool no_connection = false;  ///< network: no connection could be made (refused, no host)
};

/// What the engine does with an HTTP answer: hand it on (`final`), send the request again
/// after a backoff (`retry`), or also halve the endpoint's concurrency and draw on the
/// separate budget for "not now" answers (`back_off`: 429, Anthropic's 529 overloaded).
enum class RetryAdvice { final, retry, back_off };

/// The advice by status alone: 429 backs off; 408, 500, 502, 503 and 504 are retried;
/// anything else is final.
[[nodiscard]] RetryAdvice advice_for_status(int status);

}  // namespace promptbench
