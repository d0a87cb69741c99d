// SPDX-License-Identifier: Apache-2.0
// Token buckets for requests and tokens per minute. The bucket holds one second's worth,
// because providers enforce per-minute limits over short windows: a full minute's burst
// at the start of a run would be answered with 429s.
#include <algorithm>
#include <cmath>

#include "engine/engine.hpp"

namespace promptbench {

namespace {

double capacity_of(double per_minute) {
  return std::max(1.0, per_minute / 60.0);
}

}  // namespace

TokenBucket::TokenBucket(double per_minute, Clock::time_point now)
    : m_per_minute(per_minute), m_tokens(capacity_of(per_minute)), m_updated(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= m_updated) {
    return;
  }
  const double minutes = std::chrono::duration<double, std::ratio<60>>(now - m_updated).count();
  m_tokens = std::min(capacity_of(m_per_minute), m_tokens + minutes * m_per_minute);
  m_updated = now;
}

std::chrono::milliseconds TokenBucket::wait_for(double amount, Clock::time_point now) {
  if (!limited()) {
    return std::chrono::milliseconds(0);
  }
  refill(now);
  // A request larger than the bucket waits for a full bucket, then runs into debt.
  const double needed = std::min(amount, capacity_of(m_per_minute)) - m_tokens;
  if (needed <= 0) {
    return std::chrono::milliseconds(0);
  }
  const double ms = needed / m_per_minute * 60'000.0;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(ms)));
}

void TokenBucket::take(double amount, Clock::time_point now) {
  if (!limited()) {
    return;
  }
  refill(now);
  m_tokens -= amount;
}

void TokenBucket::adjust(double delta) {
  if (limited()) {
    m_tokens = std::min(capacity_of(m_per_minute), m_tokens + delta);
  }
}

}  // namespace promptbench
