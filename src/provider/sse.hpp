// SPDX-License-Identifier: Apache-2.0
// Server-sent events (text/event-stream) read from a complete response body: the events,
// the arrival time of an event, and an `error` event in a stream that began with HTTP 200.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/http.hpp"

namespace promptbench {

/// One dispatched event.
struct SseEvent {
  std::string event = "message";  ///< the `event:` field; "message" when none was given
  std::string data;               ///< the `data:` lines joined with '\n'
  std::size_t end = 0;            ///< body offset just past the blank line that ended it
};

/// The events of a complete text/event-stream body, in order, parsed as the WHATWG HTML
/// standard says (9.2.6): lines end in "\r\n", "\n" or "\r"; a line starting with ':' is a
/// comment; one space after a field's colon is dropped; `data:` lines accumulate and a blank
/// line dispatches them; a block with no `data:` line dispatches nothing. The last block of
/// the body is incomplete unless a blank line ends it, and is not returned. A leading UTF-8
/// byte order mark is skipped. `id:` and `retry:` are read and ignored.
[[nodiscard]] std::vector<SseEvent> parse_sse(std::string_view body);

/// When body offset `offset` had arrived, in ms after the request started: the `ms` of the
/// first arrival whose `end` is at least `offset`. Nullopt when `arrivals` is empty (an
/// answer that was not streamed) or none reaches `offset`.
[[nodiscard]] std::optional<double> arrival_ms(const std::vector<BodyArrival>& arrivals,
                                               std::size_t offset);

/// Whether a 2xx body of a provider that asked for a stream is one: a JSON object (a server
/// that ignored `stream`, or an error document) is not.
[[nodiscard]] bool is_event_stream(std::string_view body);

/// An error a server reported inside a stream that began with HTTP 200: an event named
/// `error`, or one whose data is a JSON object with an `error` member (OpenAI's form).
struct StreamFailure {
  std::string type;     ///< `error.type`: "overloaded_error", "rate_limit_error", ...; or ""
  std::string message;  ///< `error.message`, else `error` as a string, else the raw data
};

/// The first error event of `events`, if any.
[[nodiscard]] std::optional<StreamFailure> find_stream_failure(const std::vector<SseEvent>& events);

/// The engine's advice for a streamed 2xx answer that carries an error event: back off for
/// the server's transient errors ("overloaded_error", "rate_limit_error", "api_error",
/// "server_error"), retry anything else; nullopt without one.
[[nodiscard]] std::optional<RetryAdvice> stream_failure_advice(std::string_view body);

}  // namespace promptbench
