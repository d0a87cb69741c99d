// SPDX-License-Identifier: Apache-2.0
// The request engine: per-provider lanes drained round-robin into the transport within the
// concurrency window and the rate limits; transient failures wait in a timer queue and go
// back to the front of their lane.
#include "engine/engine.hpp"

#include <algorithm>
#include <cmath>

namespace promptbench {

namespace {

/// After a 429 the window halves at most this often, so one burst of 429s counts once.
constexpr auto kDecreaseInterval = std::chrono::seconds(1);

}  // namespace

Engine::Engine(Transport& transport, std::vector<ProviderLimits> providers, int global_limit,
               Clock& clock, std::uint64_t seed)
    : m_transport(transport),
      m_clock(clock),
      m_rng(seed),
      m_global_limit(std::max(1, global_limit)) {
  const auto now = m_clock.now();
  for (const ProviderLimits& limits : providers) {
    Lane lane;
    lane.limits = limits;
    lane.limits.concurrency = std::max(1, limits.concurrency);
    lane.window = lane.limits.concurrency;
    lane.requests = limits.rpm > 0 ? TokenBucket(limits.rpm, now) : TokenBucket();
    lane.tokens = limits.tpm > 0 ? TokenBucket(limits.tpm, now) : TokenBucket();
    m_lanes.push_back(std::move(lane));
  }
}

bool Engine::wants_more() const {
  // Keep enough queued that every free slot can be filled at once, and no more: the
  // queue holds rendered request bodies, so it is what bounds memory.
  return m_queued < static_cast<std::size_t>(m_global_limit) * 2;
}

void Engine::submit(EngineJob job) {
  Lane& lane = m_lanes.at(job.provider);
  lane.queue.push_back(Pending{std::move(job), 0});
  ++m_queued;
}

EngineStatus Engine::status() const {
  EngineStatus status;
  status.in_flight = m_in_flight.size();
  status.waiting_retry = m_delayed.size();
  status.queued = m_queued;
  status.rate_limited =
      m_queued > 0 && m_blocked_until != Clock::time_point{} && m_blocked_until > m_clock.now();
  return status;
}

bool Engine::idle() const {
  return m_queued == 0 && m_in_flight.empty() && m_delayed.empty();
}

void Engine::release_due_retries() {
  const auto now = m_clock.now();
  while (!m_delayed.empty() && m_delayed.top().due <= now) {
    Pending pending = m_delayed.top().pending;
    m_delayed.pop();
    m_lanes[pending.job.provider].queue.push_front(std::move(pending));
    ++m_queued;
  }
}

void Engine::dispatch() {
  release_due_retries();
  const auto now = m_clock.now();
  m_blocked_until = {};
  const std::size_t lanes = m_lanes.size();
  bool started = true;
  while (started && m_in_flight.size() < static_cast<std::size_t>(m_global_limit)) {
    started = false;
    for (std::size_t k = 0; k < lanes; ++k) {
      const std::size_t p = (m_next_lane + k) % lanes;
      Lane& lane = m_lanes[p];
      const int window = std::max(1, static_cast<int>(lane.window));
      if (lane.queue.empty() || lane.running >= window ||
          m_in_flight.size() >= static_cast<std::size_t>(m_global_limit)) {
        continue;
      }
      Pending& next = lane.queue.front();
      const auto wait = std::max(lane.requests.wait_for(1, now),
                                 lane.tokens.wait_for(next.job.estimated_tokens, now));
      if (wait.count() > 0) {
        const auto until = now + wait;
        if (m_blocked_until == Clock::time_point{} || until < m_blocked_until) {
          m_blocked_until = until;
        }
        continue;
      }
      lane.requests.take(1, now);
      lane.tokens.take(next.job.estimated_tokens, now);
      Pending pending = std::move(next);
      lane.queue.pop_front();
      --m_queued;
      ++pending.attempts;
      const TransferId id = m_next_id++;
      m_transport.start(id, pending.job.request, pending.job.options);
      m_in_flight.emplace(id, std::move(pending));
      ++lane.running;
      started = true;
    }
    m_next_lane = (m_next_lane + 1) % std::max<std::size_t>(1, lanes);
  }
}

std::optional<std::chrono::milliseconds> Engine::next_wake() const {
  std::optional<Clock::time_point> wake;
  if (!m_delayed.empty()) {
    wake = m_delayed.top().due;
  }
  if (m_blocked_until != Clock::time_point{} && (!wake || m_blocked_until < *wake)) {
    wake = m_blocked_until;
  }
  if (!wake) {
    return std::nullopt;
  }
  const auto delta = std::chrono::ceil<std::chrono::milliseconds>(*wake - m_clock.now());
  return std::max(delta, std::chrono::milliseconds(0));
}

std::optional<EngineResult> Engine::settle(Pending pending, TransferResult result) {
  Lane& lane = m_lanes[pending.job.provider];
  if (result) {
    ++lane.answers;
  }
  const bool throttled = result && result->status == 429;
  const auto now = m_clock.now();
  if (throttled) {
    if (!lane.last_decrease || now - *lane.last_decrease >= kDecreaseInterval) {
      lane.window = std::max(1.0, lane.window / 2);
      lane.last_decrease = now;
    }
  } else if (result && result->status < 400) {
    lane.window = std::min<double>(lane.limits.concurrency, lane.window + 1.0 / lane.window);
  }

  // A connection refused before the endpoint ever answered is most likely a wrong URL or
  // a server that is not running: report it at once so the run can stop early.
  const bool never_answered = !result && result.error().no_connection && lane.answers == 0;
  // A 429 says "not now", not "failed": it gets its own budget so that a run against a
  // rate limit converges instead of losing cases to it.
  if (throttled) {
    ++pending.throttled;
  }
  const int failures_retried = pending.attempts - 1 - pending.throttled;
  const bool budget_left = throttled ? pending.throttled <= lane.limits.retry.max_throttled
                                     : failures_retried < lane.limits.retry.max_retries;
  if (is_retryable(result) && !never_answered && budget_left) {
    const int retries_done = pending.attempts - 1;
    std::chrono::milliseconds delay = backoff_delay(lane.limits.retry, retries_done + 1, m_rng);
    if (result) {
      if (auto asked = server_retry_delay(*result, m_clock.wall_now())) {
        delay = std::min(*asked, lane.limits.retry.max_server_delay);
      }
    }
    m_delayed.push(Delayed{now + delay, m_delayed_order++, std::move(pending)});
    return std::nullopt;
  }
  return EngineResult{pending.job.tag, pending.job.provider, std::move(result), pending.attempts,
                      pending.job.estimated_tokens};
}

std::vector<EngineResult> Engine::step(std::chrono::milliseconds max_wait) {
  dispatch();
  std::vector<EngineResult> results;
  const auto wake = next_wake();
  const auto wait = wake ? std::min(max_wait, *wake) : max_wait;
  if (m_in_flight.empty()) {
    if (m_delayed.empty() && m_queued == 0) {
      return results;
    }
    m_clock.sleep_for(wait);  // only retries or rate-limited jobs remain
    dispatch();
    return results;
  }
  for (FinishedTransfer& finished : m_transport.poll(wait)) {
    const auto it = m_in_flight.find(finished.id);
    if (it == m_in_flight.end()) {
      continue;  // not ours (cannot happen with one engine per transport)
    }
    Pending pending = std::move(it->second);
    m_in_flight.erase(it);
    --m_lanes[pending.job.provider].running;
    if (auto done = settle(std::move(pending), std::move(finished.result))) {
      results.push_back(std::move(*done));
    }
  }
  dispatch();
  return results;
}

void Engine::record_usage(std::size_t provider, double estimated, double actual) {
  m_lanes.at(provider).tokens.adjust(estimated - actual);
}

void Engine::drop_queued() {
  for (auto& lane : m_lanes) {
    lane.queue.clear();
  }
  while (!m_delayed.empty()) {
    m_delayed.pop();
  }
  m_queued = 0;
}

void Engine::cancel_in_flight() {
  m_transport.cancel_all();
}

}  // namespace promptbench
