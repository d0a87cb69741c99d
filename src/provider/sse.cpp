// SPDX-License-Identifier: Apache-2.0
// Server-sent events read from a complete body, and what the streaming providers share.
// The engine hands providers whole bodies (with the arrival times of their parts), so the
// parser needs no incremental state: it walks the body once, line by line.
#include "provider/sse.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "promptbench/config.hpp"
#include "promptbench/provider.hpp"
#include "util/input_limits.hpp"
#include "util/json_depth.hpp"
#include "util/json_type.hpp"
#include "util/utf8.hpp"

namespace promptbench {

namespace {

/// A field line split as the standard says: the name before the first ':', the value
/// after it less one leading space; a line without ':' is a name with an empty value.
std::pair<std::string_view, std::string_view> split_field(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return {line, {}};
  }
  std::string_view value = line.substr(colon + 1);
  if (value.starts_with(' ')) {
    value.remove_prefix(1);
  }
  return {line.substr(0, colon), value};
}

/// The failure an event reports, given its data already parsed (discarded when not JSON).
std::optional<StreamFailure> failure_of(const SseEvent& event, const nlohmann::json& data) {
  const nlohmann::json& error = member(data, "error");
  if (event.event != "error" && error.is_null()) {
    return std::nullopt;
  }
  StreamFailure failure{string_member(error, "type"), string_member(error, "message")};
  if (error.is_string()) {
    failure.message = error.get<std::string>();
  }
  if (failure.message.empty()) {
    failure.message = event.data.empty() ? "error event without a message" : event.data;
  }
  return failure;
}

}  // namespace

std::vector<SseEvent> parse_sse(std::string_view body) {
  std::vector<SseEvent> events;
  std::size_t pos = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  std::string event_type;
  std::string data;
  bool has_data = false;  // a `data:` line was seen, possibly empty
  while (pos < body.size()) {
    const std::size_t eol = body.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) {
      break;  // an unterminated last line: the event it belongs to is incomplete
    }
    const std::string_view line = body.substr(pos, eol - pos);
    pos = eol + 1;
    if (body[eol] == '\r' && pos < body.size() && body[pos] == '\n') {
      ++pos;
    }
    if (line.empty()) {
      if (has_data) {
        events.push_back({event_type.empty() ? "message" : event_type, std::move(data), pos});
      }
      event_type.clear();
      data.clear();
      has_data = false;
      continue;
    }
    if (line.front() == ':') {
      continue;  // a comment, e.g. a keep-alive
    }
    const auto [field, value] = split_field(line);
    if (field == "event") {
      event_type = value;
    } else if (field == "data") {
      if (has_data) {
        data += '\n';
      }
      data += value;
      has_data = true;
    }
  }
  return events;
}

std::optional<double> arrival_ms(const std::vector<BodyArrival>& arrivals, std::size_t offset) {
  // Arrivals are in body order, so their ends never decrease.
  const auto found =
      std::lower_bound(arrivals.begin(), arrivals.end(), offset,
                       [](const BodyArrival& arrival, std::size_t at) { return arrival.end < at; });
  if (found == arrivals.end()) {
    return std::nullopt;
  }
  return found->ms;
}

StreamOptions read_stream_options(const nlohmann::json& options) {
  StreamOptions result;
  if (!options.is_object()) {
    return result;
  }
  if (auto stream = options.find("stream"); stream != options.end()) {
    if (!stream->is_boolean()) {
      throw OptionError(
          "stream", fmt::format("expected true or false, got {}", util::json_type_name(*stream)));
    }
    result.stream = stream->get<bool>();
  }
  if (auto idle = options.find("idle_timeout"); idle != options.end()) {
    // The same forms as the common `timeout:`: "30s", "500ms", "2m" or a number of seconds.
    std::optional<std::chrono::milliseconds> duration;
    if (idle->is_number()) {
      duration = parse_duration(fmt::format("{}s", idle->get<double>()));
    } else if (idle->is_string()) {
      duration = parse_duration(idle->get<std::string>());
    }
    if (!duration) {
      throw OptionError(
          "idle_timeout",
          fmt::format("expected a duration like 30s, 500ms or 2m, got {}", idle->dump()));
    }
    result.idle_timeout = *duration;
  }
  return result;
}

bool is_event_stream(std::string_view body) {
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  return first == std::string_view::npos || body[first] != '{';
}

std::optional<StreamFailure> find_stream_failure(const std::vector<SseEvent>& events) {
  for (const SseEvent& event : events) {
    // Parse only what can be an error: most events are content.
    if (event.event != "error" && event.data.find("\"error\"") == std::string::npos) {
      continue;
    }
    if (auto failure = failure_of(event, nlohmann::json::parse(event.data, nullptr, false))) {
      return failure;
    }
  }
  return std::nullopt;
}

std::optional<RetryAdvice> stream_failure_advice(std::string_view body) {
  if (!is_event_stream(body) || body.find("error") == std::string_view::npos) {
    return std::nullopt;
  }
  const auto failure = find_stream_failure(parse_sse(body));
  if (!failure) {
    return std::nullopt;
  }
  // "Not now" answers, which a 429 or 529 would have been before the stream began.
  if (failure->type == "overloaded_error" || failure->type == "rate_limit_error") {
    return RetryAdvice::back_off;
  }
  return RetryAdvice::retry;
}

nlohmann::json tool_arguments(const std::string& text) {
  if (util::find_nesting_beyond(text, util::kMaxNestingDepth)) {
    return text;
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(text) : parsed;
}

std::string completion_text(const std::string& content, const nlohmann::json& tool_calls) {
  if (tool_calls.is_null()) {
    return content;
  }
  return tool_calls_output(content.empty() ? std::nullopt : std::optional(content), tool_calls);
}

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kAbsent;
  if (!object.is_object()) {
    return kAbsent;
  }
  const auto found = object.find(key);
  return found != object.end() ? *found : kAbsent;
}

std::string string_member(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::optional<std::int64_t> integer_member(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = member(object, key);
  if (value.is_number_integer()) {
    return value.get<std::int64_t>();
  }
  return std::nullopt;
}

std::string quoted_start(std::string_view body) {
  constexpr std::size_t kShown = 60;
  std::string start(util::utf8_prefix(body, kShown));
  const bool cut = start.size() < body.size();
  std::replace_if(
      start.begin(), start.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (start.empty()) {
    return "(empty)";
  }
  return "'" + start + (cut ? "...'" : "'");
}

}  // namespace promptbench
