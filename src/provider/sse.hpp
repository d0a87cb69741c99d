// SPDX-License-Identifier: Apache-2.0
// Server-sent events (text/event-stream) read from a complete response body, and what the
// providers share to read answers, streamed or not: the `stream` and `idle_timeout`
// options, the arrival time of an event, an `error` event in a stream that began with HTTP
// 200, tool call arguments, and safe access to the members of an answer's JSON.
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

/// The streaming options an `openai` or `anthropic` entry shares.
struct StreamOptions {
  bool stream = false;  ///< `stream:`, a boolean
  /// `idle_timeout:`, a duration ("30s", "500ms") or a number of seconds; 0 = no limit.
  /// Applies only to streamed requests.
  std::chrono::milliseconds idle_timeout{30'000};
};

/// `stream` and `idle_timeout` from a provider entry's own options (absent keys keep their
/// defaults; other keys are not looked at). Throws OptionError at the offending key for a
/// value of the wrong kind. Both the option check and the provider call it, so they agree.
[[nodiscard]] StreamOptions read_stream_options(const nlohmann::json& options);

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
/// "overloaded_error" and "rate_limit_error", retry anything else; nullopt without one.
[[nodiscard]] std::optional<RetryAdvice> stream_failure_advice(std::string_view body);

/// A tool call's arguments as the model wrote them: the parsed JSON, or the text itself when
/// it is not valid JSON or nests deeper than util::kMaxNestingDepth (a deeper value would
/// recurse past the stack when it is copied or written).
[[nodiscard]] nlohmann::json tool_arguments(const std::string& text);

/// The text of an answer: `content`, or with tool calls tool_calls_output() of both, where
/// content without text is null however the server said so (null, "", no text at all), so
/// a streamed answer and the same answer in one document agree byte for byte.
[[nodiscard]] std::string completion_text(const std::string& content,
                                          const nlohmann::json& tool_calls);

/// `object[key]`, or a null value when `object` is not an object or has no such member.
[[nodiscard]] const nlohmann::json& member(const nlohmann::json& object, const char* key);
/// `object[key]` when it is a string, else "".
[[nodiscard]] std::string string_member(const nlohmann::json& object, const char* key);
/// `object[key]` when it is an integer, else nullopt.
[[nodiscard]] std::optional<std::int64_t> integer_member(const nlohmann::json& object,
                                                         const char* key);

/// The first 60 bytes of `body` quoted on one line ('...' when cut, cut at a UTF-8
/// boundary), or "(empty)": what came instead of the JSON a provider expected.
[[nodiscard]] std::string quoted_start(std::string_view body);

}  // namespace promptbench
