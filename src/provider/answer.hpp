// SPDX-License-Identifier: Apache-2.0
// What the chat providers share to read their options and answers, streamed or not: the
// `stream` and `idle_timeout` options, tool call arguments, an answer's text, safe access to
// the members of an answer's JSON, and the start of a body that was not what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "promptbench/http.hpp"

namespace promptbench {

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

/// A tool call's arguments as the model wrote them: the parsed JSON, or the text itself when
/// it is not valid JSON or nests deeper than util::kMaxNestingDepth (a deeper value would
/// recurse past the stack when it is copied or written).
[[nodiscard]] nlohmann::json tool_arguments(const std::string& text);

/// The text of an answer: `content`, or with tool calls tool_calls_output() of both, where
/// content without text is null however the server said so (null, "", no text at all), so
/// a streamed answer and the same answer in one document agree byte for byte.
[[nodiscard]] std::string completion_text(const std::string& content,
                                          const nlohmann::json& tool_calls);

/// A provider's failure to read an answer, as the unexpected value of its parse result.
[[nodiscard]] inline tl::unexpected<RequestError> answer_failure(ErrorKind kind,
                                                                 std::string message) {
  return tl::unexpected(RequestError{kind, 0, std::move(message)});
}

/// `object[key]`, or a null value when `object` is not an object or has no such member.
[[nodiscard]] const nlohmann::json& member(const nlohmann::json& object, const char* key);
/// `object[key]` when it is a string, else "".
[[nodiscard]] std::string string_member(const nlohmann::json& object, const char* key);
/// `object[key]` when it is an integer, else nullopt.
[[nodiscard]] std::optional<std::int64_t> integer_member(const nlohmann::json& object,
                                                         const char* key);
/// A token count: `object[key]` when it is an integer, 0 or more, else nullopt -- unknown
/// usage. A negative count is no count: summed, it would take tokens and cost away.
[[nodiscard]] std::optional<std::int64_t> token_count_member(const nlohmann::json& object,
                                                             const char* key);

/// The first 60 bytes of `body` quoted on one line ('...' when cut, cut at a UTF-8
/// boundary), or "(empty)": what came instead of the JSON a provider expected.
[[nodiscard]] std::string quoted_start(std::string_view body);

}  // namespace promptbench
