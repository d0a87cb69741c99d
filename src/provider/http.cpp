// SPDX-License-Identifier: Apache-2.0
// Small helpers of the HTTP types (include/promptbench/http.hpp).
#include "promptbench/http.hpp"

namespace promptbench {

const std::string* HttpResponse::header(const std::string& name) const {
  for (const auto& h : headers) {
    if (h.name == name) {
      return &h.value;
    }
  }
  return nullptr;
}

RetryAdvice advice_for_status(int status) {
  switch (status) {
    case 429:
      return RetryAdvice::back_off;
    case 408:
    case 500:
    case 502:
    case 503:
    case 504:
      return RetryAdvice::retry;
    default:
      return RetryAdvice::final;
  }
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::network:
      return "network";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::http_status:
      return "http_status";
    case ErrorKind::bad_response:
      return "bad_response";
    case ErrorKind::too_large:
      return "too_large";
    case ErrorKind::cancelled:
      return "cancelled";
    case ErrorKind::stream_error:
      return "stream_error";
  }
  return "unknown";
}

}  // namespace promptbench
