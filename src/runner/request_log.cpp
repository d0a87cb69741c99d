// SPDX-License-Identifier: Apache-2.0
#include "runner/request_log.hpp"

#include <fmt/format.h>

namespace promptbench {

namespace {

/// "HTTP 200 in 12.3 ms", "answered from the cache", "failed (3 attempts): http_status
/// 401: Incorrect API key provided".
std::string outcome_text(const Reply& reply,
                         const tl::expected<Completion, RequestError>& completion) {
  const std::string attempts =
      reply.attempts > 1 ? fmt::format(" ({} attempts)", reply.attempts) : "";
  if (!completion) {
    const RequestError& error = completion.error();
    return fmt::format("{}{}: {}", reply.cached ? "cached answer unreadable" : "failed", attempts,
                       describe_error(to_string(error.kind), error.http_status, error.message));
  }
  if (reply.cached) {
    return "answered from the cache";
  }
  return fmt::format("HTTP {} in {:.1f} ms{}", reply.result->status, completion->latency_ms,
                     attempts);
}

}  // namespace

void log_request(const std::function<void(const std::string&)>& log, const ResultPlace& place,
                 const std::string& source, const Reply& reply,
                 const tl::expected<Completion, RequestError>& completion) {
  if (log) {  // formatted only when asked for: this runs once per request
    log(fmt::format("case {} {}{}{}: {}", place.row.id, place.variant.id, source.empty() ? "" : " ",
                    source, outcome_text(reply, completion)));
  }
}

}  // namespace promptbench
