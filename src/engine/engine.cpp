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
/// Free moves of one request from a lost replica to another, before the loss counts as a
/// failure: enough for every replica of a pool to go down once, and still bounded.
constexpr int kMaxReroutes = 16;

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
    if (limits.replicas.size() > 1) {
      for (const std::string& base_url : limits.replicas) {
        lane.replicas.push_back(Replica{ReplicaTraffic{base_url, 0, 0}, 0, {}});
      }
    }
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
      const auto paused =
          std::max(std::chrono::ceil<std::chrono::milliseconds>(lane.paused_until - now),
                   std::chrono::milliseconds(0));
      const auto wait = std::max({paused, lane.requests.wait_for(1, now),
                                  lane.tokens.wait_for(next.job.estimated_tokens, now)});
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
      route_to_replica(lane, pending, now);
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

void Engine::route_to_replica(Lane& lane, Pending& pending, Clock::time_point now) {
  if (lane.replicas.empty()) {
    return;
  }
  // Least loaded among the healthy; when every replica is cooling down, the one that
  // recovers first (a run must go on, and a revived server is noticed this way).
  std::size_t best = 0;
  for (std::size_t r = 1; r < lane.replicas.size(); ++r) {
    const Replica& candidate = lane.replicas[r];
    const Replica& current = lane.replicas[best];
    const bool candidate_healthy = candidate.cooling_until <= now;
    const bool current_healthy = current.cooling_until <= now;
    if (candidate_healthy != current_healthy) {
      best = candidate_healthy ? r : best;
    } else if (!candidate_healthy) {
      best = candidate.cooling_until < current.cooling_until ? r : best;
    } else if (candidate.running != current.running) {
      best = candidate.running < current.running ? r : best;
    } else if (candidate.traffic.requests < current.traffic.requests) {
      best = r;
    }
  }
  Replica& replica = lane.replicas[best];
  // The provider built the URL on the first replica; a retry carries its last one's.
  const std::string& previous = lane.replicas[pending.replica].traffic.base_url;
  std::string& url = pending.job.request.url;
  if (best != pending.replica && url.compare(0, previous.size(), previous) == 0) {
    url = replica.traffic.base_url + url.substr(previous.size());
  }
  pending.replica = best;
  ++replica.running;
  ++replica.traffic.requests;
}

bool Engine::note_replica_result(Lane& lane, const Pending& pending, const TransferResult& result,
                                 Clock::time_point now) {
  if (lane.replicas.empty()) {
    return false;
  }
  Replica& replica = lane.replicas[pending.replica];
  --replica.running;
  const bool lost = !result && (result.error().kind == ErrorKind::network ||
                                result.error().kind == ErrorKind::timeout);
  if (!lost) {
    return false;
  }
  ++replica.traffic.failures;
  replica.cooling_until = now + lane.limits.replica_cooldown;
  return std::any_of(lane.replicas.begin(), lane.replicas.end(),
                     [&](const Replica& other) { return other.cooling_until <= now; });
}

void Engine::pace(Lane& lane, const HttpResponse& response, Clock::time_point now) {
  const RateLimitHint hint = read_rate_limit_headers(response, m_clock.wall_now());
  if (hint.empty()) {
    return;
  }
  // The requests already in flight will use what is left: hold the rest back until the
  // allowance is restored rather than be answered 429.
  const auto hold = [&](std::optional<std::chrono::milliseconds> reset) {
    if (reset) {
      lane.paused_until = std::max(lane.paused_until, now + *reset);
    }
  };
  if (hint.requests_remaining && *hint.requests_remaining <= lane.running) {
    hold(hint.requests_reset);
  }
  if (hint.tokens_remaining && !lane.queue.empty() &&
      *hint.tokens_remaining < lane.queue.front().job.estimated_tokens) {
    hold(hint.tokens_reset);
  }
}

std::vector<ReplicaTraffic> Engine::replica_traffic(std::size_t provider) const {
  std::vector<ReplicaTraffic> traffic;
  for (const Replica& replica : m_lanes.at(provider).replicas) {
    traffic.push_back(replica.traffic);
  }
  return traffic;
}

std::optional<EngineResult> Engine::settle(Pending pending, TransferResult result) {
  Lane& lane = m_lanes[pending.job.provider];
  const auto now = m_clock.now();
  if (result) {
    ++lane.answers;
    pace(lane, *result, now);
  }
  const RetryAdvice advice = advice_for(result, lane.limits.advise);
  const bool throttled = advice == RetryAdvice::back_off;
  if (throttled) {
    if (!lane.last_decrease || now - *lane.last_decrease >= kDecreaseInterval) {
      lane.window = std::max(1.0, lane.window / 2);
      lane.last_decrease = now;
    }
  } else if (result && result->status < 400) {
    lane.window = std::min<double>(lane.limits.concurrency, lane.window + 1.0 / lane.window);
  }
  // A replica that could not be reached is left out for a while; when another can take
  // the request, it goes there at once and the attempt costs nothing of the budget.
  const bool reroute = note_replica_result(lane, pending, result, now);

  // A connection refused before the endpoint ever answered is most likely a wrong URL or
  // a server that is not running: report it at once so the run can stop early.
  const bool never_answered =
      !result && result.error().no_connection && lane.answers == 0 && !reroute;
  // "Not now" (429, overloaded) is not "failed": it gets its own budget so that a run
  // against a rate limit or a busy server converges instead of losing cases to it.
  if (throttled) {
    ++pending.throttled;
  }
  if (reroute) {
    ++pending.rerouted;
  }
  const int failures_retried = pending.attempts - 1 - pending.throttled - pending.rerouted;
  const bool budget_left = throttled ? pending.throttled <= lane.limits.retry.max_throttled
                           : reroute ? pending.rerouted <= kMaxReroutes
                                     : failures_retried < lane.limits.retry.max_retries;
  if (advice != RetryAdvice::final && !never_answered && budget_left) {
    if (reroute) {
      m_delayed.push(Delayed{now, m_delayed_order++, std::move(pending)});
      return std::nullopt;
    }
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
