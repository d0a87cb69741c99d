// SPDX-License-Identifier: Apache-2.0
// Server-sent events read from a complete body. The engine hands providers whole bodies (with the
// arrival times of their parts), so the parser needs no incremental state: it walks the body once,
// line by line.
#include "provider/sse.hpp"

#include <algorithm>

#include "provider/answer.hpp"

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
  // The server took the request and could not finish it: "not now" (a 429 or 529 before the
  // stream began) or its own failure part-way. Both pass; they back off on the budget for
  // such answers, so a busy server that breaks many streams still ends with every case
  // scored. Other errors (a refused request) get the ordinary, small retry budget.
  for (const char* transient :
       {"overloaded_error", "rate_limit_error", "api_error", "server_error"}) {
    if (failure->type == transient) {
      return RetryAdvice::back_off;
    }
  }
  return RetryAdvice::retry;
}

}  // namespace promptbench
