// SPDX-License-Identifier: Apache-2.0
// Counters, the fault PRNG and the rate-limit window of promptbench-stub.
#include "state.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace promptbench::stub {

using nlohmann::json;

const char* route_name(Route route) {
  switch (route) {
    case Route::Chat:
      return "chat";
    case Route::Messages:
      return "messages";
    case Route::Generate:
      return "generate";
  }
  return "unknown";
}

namespace {

std::uint64_t fnv1a_64(std::string_view data) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

StubState::StubState(const StubOptions& options) : m_options(options), m_rng(options.seed) {}

double StubState::draw() {
  return static_cast<double>(m_rng() >> 11) * 0x1.0p-53;
}

RateWindow StubState::count_in_window(bool& over_limit) {
  const auto now = std::chrono::steady_clock::now();
  if (m_window == 0 || now >= m_window_end) {
    ++m_window;
    m_window_end = now + std::chrono::milliseconds(m_options.ratelimit_window_ms);
    m_window_requests = 0;
    m_window_tokens = 0;
  }
  ++m_window_requests;
  over_limit = m_window_requests > m_options.ratelimit_requests;
  RateWindow window;
  window.limit = m_options.ratelimit_requests;
  window.remaining = over_limit ? 0 : m_options.ratelimit_requests - m_window_requests;
  window.reset = m_window_end;
  window.window = m_window;
  return window;
}

StubState::Admission StubState::admit(Route route, const std::string& body, bool has_authorization,
                                      bool authorized) {
  std::lock_guard lock(m_mutex);
  Admission admission;
  admission.number = ++m_requests;
  ++m_by_route[route];
  admission.body_hash = fnv1a_64(body);
  auto& record = m_bodies[admission.body_hash];
  ++record.requests;
  m_max_requests_per_body = std::max(m_max_requests_per_body, record.requests);
  m_authorization_seen += has_authorization ? 1 : 0;
  if (m_options.ratelimit_requests > 0 && authorized) {
    admission.window = count_in_window(admission.rate_limited);
    m_rate_limited += admission.rate_limited ? 1 : 0;
  }
  // Always five draws per request, whatever fires, so the sequence depends only on order.
  std::array<double, 5> draws{};
  for (auto& value : draws) {
    value = draw();
  }
  // The newer faults draw only when asked for, so older seeds keep their sequence.
  const double overload_draw = m_options.fail_529 > 0.0 ? draw() : 1.0;
  const double stream_error_draw = m_options.stream_error > 0.0 ? draw() : 1.0;
  admission.stream_error = stream_error_draw < m_options.stream_error;
  if (admission.number <= m_options.fail_first) {
    admission.fault = Fault::FailFirst;
  } else if (draws[0] < m_options.drop) {
    admission.fault = Fault::Drop;
  } else if (draws[1] < m_options.fail_500) {
    admission.fault = Fault::Status500;
  } else if (draws[2] < m_options.fail_429) {
    admission.fault = Fault::Status429;
  } else if (draws[3] < m_options.fail_400) {
    admission.fault = Fault::Status400;
  } else if (draws[4] < m_options.malformed) {
    admission.fault = Fault::Malformed;
  } else if (overload_draw < m_options.fail_529) {
    admission.fault = Fault::Overloaded;
  } else if (m_options.canned() &&
             // A last draw only for a partial canned answer, so that runs without one keep
             // the same fault sequence as before it existed.
             (m_options.answer_rate >= 1.0 || draw() < m_options.answer_rate)) {
    admission.fault = Fault::Canned;
  }
  return admission;
}

void StubState::record_answer(std::uint64_t body_hash, int status, bool completed_ok,
                              bool malformed) {
  std::lock_guard lock(m_mutex);
  ++m_by_status[status];
  m_malformed += malformed ? 1 : 0;
  if (completed_ok && ++m_bodies[body_hash].answered_ok == 2) {
    ++m_bodies_ok_more_than_once;
  }
}

void StubState::record_drop() {
  std::lock_guard lock(m_mutex);
  ++m_dropped;
}

void StubState::record_stream_error() {
  std::lock_guard lock(m_mutex);
  ++m_stream_errors;
}

void StubState::record_overloaded() {
  std::lock_guard lock(m_mutex);
  ++m_overloaded;
}

std::uint64_t StubState::consume_tokens(std::uint64_t window, std::uint64_t tokens) {
  std::lock_guard lock(m_mutex);
  if (window == m_window) {
    m_window_tokens += tokens;
    return kTokensPerWindow - std::min(kTokensPerWindow, m_window_tokens);
  }
  return kTokensPerWindow;  // that window has ended; a new one starts with the full budget
}

void StubState::enter() {
  std::lock_guard lock(m_mutex);
  ++m_in_flight;
  m_in_flight_max = std::max(m_in_flight_max, m_in_flight);
}

void StubState::leave() {
  std::lock_guard lock(m_mutex);
  --m_in_flight;
}

void StubState::reset() {
  std::lock_guard lock(m_mutex);
  m_rng.seed(m_options.seed);
  m_requests = m_dropped = m_malformed = m_authorization_seen = 0;
  m_max_requests_per_body = m_bodies_ok_more_than_once = 0;
  m_rate_limited = m_stream_errors = m_overloaded = 0;
  m_by_status.clear();
  m_by_route.clear();
  m_bodies.clear();
  m_window = 0;  // the next request opens a fresh rate-limit window
  // Requests in flight during a reset still leave later; keep the current count honest.
  m_in_flight_max = m_in_flight;
}

json StubState::stats() const {
  std::lock_guard lock(m_mutex);
  json by_status = json::object();
  for (const auto& [status, count] : m_by_status) {
    by_status[std::to_string(status)] = count;
  }
  json by_route = json::object();
  for (const Route route : {Route::Chat, Route::Messages, Route::Generate}) {
    const auto found = m_by_route.find(route);
    by_route[route_name(route)] = found == m_by_route.end() ? 0 : found->second;
  }
  return {{"requests", m_requests},
          {"by_status", by_status},
          {"by_route", by_route},
          {"dropped", m_dropped},
          {"malformed", m_malformed},
          {"rate_limited", m_rate_limited},
          {"stream_errors", m_stream_errors},
          {"overloaded", m_overloaded},
          {"unique_bodies", m_bodies.size()},
          {"bodies_answered_ok_more_than_once", m_bodies_ok_more_than_once},
          {"max_requests_per_body", m_max_requests_per_body},
          {"authorization_seen", m_authorization_seen},
          {"in_flight_max", m_in_flight_max}};
}

}  // namespace promptbench::stub
