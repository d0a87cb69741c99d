// SPDX-License-Identifier: Apache-2.0
// The stub's shared state: request counters, the seeded fault PRNG and the rate-limit window,
// all behind one mutex so that a given request order always yields the same faults.
#pragma once

#include "options.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>

namespace promptbench::stub {

// The answer routes; each shapes its answers and errors after its own API.
enum class Route { Chat, Messages, Generate };

// The key of a route in /stats "by_route".
const char* route_name(Route route);

enum class Fault {
  None,
  FailFirst,
  Drop,
  Status500,
  Status429,
  Status400,
  Malformed,
  Overloaded,
  Canned
};

// Where the rate-limit window stands after a request was counted in it.
struct RateWindow {
  std::uint64_t limit = 0;                      // requests per window (0: rate limiting is off)
  std::uint64_t remaining = 0;                  // requests left in the window after this one
  std::chrono::steady_clock::time_point reset;  // when the window ends
  std::uint64_t window = 0;  // which window (1-based); tokens are counted per window
};

class StubState {
 public:
  explicit StubState(const StubOptions& options);

  struct Admission {
    std::uint64_t number = 0;  // 1-based request number since start or /reset
    std::uint64_t body_hash = 0;
    Fault fault = Fault::None;
    bool stream_error = false;  // a streamed answer must break off after its first delta
    bool rate_limited = false;  // over the window's limit: answer 429
    RateWindow window;
  };

  // Counts a request and decides its fate. The PRNG takes five draws per request whatever
  // fires, then one each for --fail-529 and --stream-error only when they are non-zero, and a
  // last one for a partial canned answer: runs without the newer options keep the sequence
  // they always had. An unauthorized request takes no slot of the rate-limit window.
  Admission admit(Route route, const std::string& body, bool has_authorization, bool authorized);

  // `completed_ok` is true only for a well-formed answer (not for malformed bodies).
  void record_answer(std::uint64_t body_hash, int status, bool completed_ok, bool malformed);
  void record_drop();
  void record_stream_error();
  void record_overloaded();
  // Adds `tokens` to the window `window` counts and returns the tokens left in it.
  std::uint64_t consume_tokens(std::uint64_t window, std::uint64_t tokens);

  void enter();
  void leave();
  void reset();
  nlohmann::json stats() const;

 private:
  double draw();  // uniform in [0, 1), 53 bits of the PRNG; m_mutex held
  RateWindow count_in_window(bool& over_limit);  // m_mutex held

  struct BodyRecord {
    std::uint64_t requests = 0;
    std::uint64_t answered_ok = 0;
  };

  const StubOptions& m_options;
  mutable std::mutex m_mutex;
  std::mt19937_64 m_rng;
  std::uint64_t m_requests = 0;
  std::uint64_t m_dropped = 0;
  std::uint64_t m_malformed = 0;
  std::uint64_t m_authorization_seen = 0;
  std::uint64_t m_max_requests_per_body = 0;
  std::uint64_t m_bodies_ok_more_than_once = 0;
  std::uint64_t m_in_flight = 0;
  std::uint64_t m_in_flight_max = 0;
  std::uint64_t m_rate_limited = 0;
  std::uint64_t m_stream_errors = 0;
  std::uint64_t m_overloaded = 0;
  std::map<int, std::uint64_t> m_by_status;
  std::map<Route, std::uint64_t> m_by_route;
  std::unordered_map<std::uint64_t, BodyRecord> m_bodies;
  // The fixed rate-limit window: it opens at the first request after the previous one ended.
  std::uint64_t m_window = 0;
  std::chrono::steady_clock::time_point m_window_end;
  std::uint64_t m_window_requests = 0;
  std::uint64_t m_window_tokens = 0;
};

// The token budget per rate-limit window: large, so it never limits; the headers show it.
inline constexpr std::uint64_t kTokensPerWindow = 1'000'000;

// Counts a request as in flight for the lifetime of the handler, latency included.
class InFlight {
 public:
  explicit InFlight(StubState& state) : m_state(state) { m_state.enter(); }
  ~InFlight() { m_state.leave(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  StubState& m_state;
};

}  // namespace promptbench::stub
