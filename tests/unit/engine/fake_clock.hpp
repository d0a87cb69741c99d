// SPDX-License-Identifier: Apache-2.0
// A Clock that only moves when told to (or when the engine "sleeps"), so backoff and rate
// limits are tested without sleeping.
#pragma once

#include "promptbench/clock.hpp"

namespace promptbench::testing {

class FakeClock : public Clock {
 public:
  time_point now() const override { return m_now; }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::from_time_t(1'700'000'000) + (m_now - time_point{});
  }
  void sleep_for(std::chrono::milliseconds duration) override {
    slept += duration;
    m_now += duration;
  }
  void advance(std::chrono::milliseconds duration) { m_now += duration; }

  std::chrono::milliseconds slept{0};

 private:
  time_point m_now{std::chrono::hours(1)};
};

}  // namespace promptbench::testing
