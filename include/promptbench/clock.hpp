// SPDX-License-Identifier: Apache-2.0
// Time, injected: the engine's backoff and rate limits, the run's grace period and the
// report's timestamps all read a Clock, so tests pass a fake one and never sleep.
#pragma once

#include <chrono>

namespace promptbench {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  [[nodiscard]] virtual time_point now() const = 0;
  /// Wall-clock time, for HTTP-date Retry-After values.
  [[nodiscard]] virtual std::chrono::system_clock::time_point wall_now() const = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

/// The real clock.
[[nodiscard]] Clock& system_clock();

}  // namespace promptbench
