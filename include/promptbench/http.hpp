// SPDX-License-Identifier: Apache-2.0
// The lowest layer: an HTTP request, its response and why a request produced no answer.
// Providers build and read these, transports move them; this header includes no other
// project header, so both can depend on it without depending on each other.
#pragma once

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
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  ///< names lower-cased
  std::string body;
  double latency_ms = 0;  ///< request start to last byte

  /// The first header with this (lower-case) name, if any.
  [[nodiscard]] const std::string* header(const std::string& name) const;
};

/// Why a request produced no completion. Recorded on the case; never fatal to the run.
enum class ErrorKind { network, timeout, http_status, bad_response, too_large, cancelled };
[[nodiscard]] const char* to_string(ErrorKind kind);

struct RequestError {
  ErrorKind kind = ErrorKind::network;
  int http_status = 0;         ///< for http_status
  std::string message;         ///< the server's own error message where it gave one
  bool no_connection = false;  ///< network: no connection could be made (refused, no host)
};

}  // namespace promptbench
