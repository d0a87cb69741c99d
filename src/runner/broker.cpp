// SPDX-License-Identifier: Apache-2.0
#include "runner/broker.hpp"

#include <algorithm>

namespace promptbench {

namespace {

/// Cached replies held before the run takes them: enough to keep a fully cached run
/// moving, few enough that it never reads the whole dataset ahead.
constexpr std::size_t kMaxCachedReplies = 256;

std::vector<ProviderLimits> limits_of(const std::vector<RequestBroker::Endpoint>& endpoints) {
  std::vector<ProviderLimits> limits;
  for (const auto& endpoint : endpoints) {
    limits.push_back(endpoint.limits);
  }
  return limits;
}

}  // namespace

RequestBroker::RequestBroker(Transport& transport, std::vector<Endpoint> endpoints,
                             int global_limit, Clock& clock, std::uint64_t seed,
                             ResponseCache* cache, JournalCadence cadence)
    : m_engine(transport, limits_of(endpoints), global_limit, clock, seed),
      m_clock(clock),
      m_cache(cache),
      m_cadence(cadence),
      m_consecutive_refusals(endpoints.size(), 0) {
  // No more answers staged than requests in flight at once: what a kill -9 can lose stays
  // within the concurrency, as it was with a commit every turn.
  m_cadence.max_answers = std::clamp<std::size_t>(
      m_cadence.max_answers, 1, static_cast<std::size_t>(std::max(global_limit, 1)));
  for (const auto& endpoint : endpoints) {
    m_transfer.push_back(endpoint.transfer);
  }
}

bool RequestBroker::wants_more() const {
  // Followers hold the run's cases open like cached replies do: both are bounded, so a
  // dataset of one prompt repeated a million times is not read ahead whole.
  return m_cached.size() + m_followers < kMaxCachedReplies && m_engine.wants_more();
}

void RequestBroker::submit(const Ticket& ticket, std::size_t endpoint, HttpRequest request,
                           double estimated_tokens, int sample) {
  std::string key = m_cache != nullptr ? cache_key(request, sample) : std::string();
  if (m_cache != nullptr) {
    std::optional<HttpResponse> hit;
    try {
      hit = m_cache->get(key);
    } catch (const CacheError& error) {
      // Not sent: the answer may be in the cache, paid for already. The run stops on this.
      note_cache_failure(error);
      Reply& reply = m_cached.emplace_back();
      reply.ticket = ticket;
      reply.endpoint = endpoint;
      reply.result = tl::unexpected(RequestError{ErrorKind::cancelled, 0, error.what(), false});
      return;
    }
    if (hit) {
      queue_cached(ticket, endpoint, std::move(*hit), estimated_tokens, std::move(key));
      return;
    }
    if (auto leader = m_leaders.find(key); leader != m_leaders.end()) {
      m_in_flight.at(leader->second)
          .followers.push_back({ticket, endpoint, std::move(request), estimated_tokens});
      ++m_followers;
      return;
    }
    m_leaders.emplace(key, m_next_tag);
  }
  send(ticket, endpoint, std::move(request), estimated_tokens, std::move(key));
}

void RequestBroker::queue_cached(const Ticket& ticket, std::size_t endpoint, HttpResponse answer,
                                 double estimated_tokens, std::string key) {
  Reply& reply = m_cached.emplace_back();
  reply.ticket = ticket;
  reply.endpoint = endpoint;
  reply.result = std::move(answer);
  reply.cached = true;
  reply.estimated_tokens = estimated_tokens;
  reply.cache_key = std::move(key);
}

void RequestBroker::send(const Ticket& ticket, std::size_t endpoint, HttpRequest request,
                         double estimated_tokens, std::string key) {
  EngineJob job;
  job.provider = endpoint;
  job.request = std::move(request);
  job.options = m_transfer[endpoint];
  job.estimated_tokens = estimated_tokens;
  job.tag = m_next_tag++;
  m_in_flight.emplace(job.tag, InFlight{ticket, std::move(key), {}});
  m_engine.submit(std::move(job));
}

std::vector<Reply> RequestBroker::step(std::chrono::milliseconds max_wait) {
  resend_unclaimed();
  std::vector<Reply> replies(std::make_move_iterator(m_cached.begin()),
                             std::make_move_iterator(m_cached.end()));
  m_cached.clear();
  if (!replies.empty()) {
    max_wait = std::chrono::milliseconds(0);  // the run has work now: do not wait for more
  }
  max_wait = std::min(max_wait, until_window_closes());
  for (EngineResult& result : m_engine.step(max_wait)) {
    auto node = m_in_flight.extract(result.tag);
    InFlight& sent = node.mapped();
    note_connectivity(result.provider, result.result);
    if (!sent.cache_key.empty()) {
      m_leaders.erase(sent.cache_key);
    }
    Reply& reply = replies.emplace_back();
    reply.ticket = sent.ticket;
    reply.endpoint = result.provider;
    reply.result = std::move(result.result);
    reply.attempts = result.attempts;
    reply.estimated_tokens = result.estimated_tokens;
    reply.cache_key = std::move(sent.cache_key);
    if (!sent.followers.empty()) {
      m_unclaimed.emplace(reply.cache_key, std::move(sent.followers));
    }
  }
  return replies;
}

void RequestBroker::resend_unclaimed() {
  for (auto& [key, followers] : m_unclaimed) {
    m_followers -= followers.size();
    if (m_dropping) {
      continue;  // the run is stopping: what it did not send stays unsent
    }
    for (Follower& follower : followers) {
      send(follower.ticket, follower.endpoint, std::move(follower.request),
           follower.estimated_tokens, key);
    }
  }
  m_unclaimed.clear();
}

void RequestBroker::remember(const Reply& reply) {
  if (m_cache == nullptr || reply.cached || !reply.result) {
    return;
  }
  m_cache->put(reply.cache_key, *reply.result);
  if (!m_window_closes) {
    m_window_closes = m_clock.now() + m_cadence.window;
  }
  if (m_cache->staged() >= m_cadence.max_answers) {
    commit();  // at once, not at the end of the turn: a window never holds more
  }
  // The requests that waited for this one take its answer, as the cache would give it.
  auto waiting = m_unclaimed.find(reply.cache_key);
  if (waiting == m_unclaimed.end()) {
    return;
  }
  m_followers -= waiting->second.size();
  for (const Follower& follower : waiting->second) {
    queue_cached(follower.ticket, follower.endpoint, *reply.result, follower.estimated_tokens,
                 reply.cache_key);
  }
  m_unclaimed.erase(waiting);
}

void RequestBroker::record_usage(const Reply& reply, double actual_tokens) {
  if (!reply.cached) {
    m_engine.record_usage(reply.endpoint, reply.estimated_tokens, actual_tokens);
  }
}

void RequestBroker::commit_when_due() {
  if (m_window_closes && m_clock.now() >= *m_window_closes) {
    commit();
  }
}

void RequestBroker::commit() {
  if (m_cache == nullptr || m_cache->staged() == 0) {
    return;
  }
  // Committed, or failed: the run then stops, and a stopping run commits every turn.
  m_window_closes.reset();
  try {
    m_cache->commit();
  } catch (const CacheError& error) {
    note_cache_failure(error);  // the answers stay staged; the run stops on this
  }
}

std::chrono::milliseconds RequestBroker::until_window_closes() const {
  if (!m_window_closes) {
    return std::chrono::milliseconds::max();
  }
  const auto left = *m_window_closes - m_clock.now();
  // Rounded up: waking before the window closes would only go round the loop for nothing.
  return std::max(std::chrono::ceil<std::chrono::milliseconds>(left), std::chrono::milliseconds(0));
}

void RequestBroker::note_cache_failure(const CacheError& error) {
  if (!m_cache_failure) {
    m_cache_failure = error.what();
  }
}

std::size_t RequestBroker::uncommitted() const {
  return m_cache != nullptr ? m_cache->staged() : 0;
}

void RequestBroker::drop_queued() {
  m_engine.drop_queued();
  // A dropped request never answers: nothing new may wait for it. Followers of requests
  // already in flight still get their answers, but are not sent on their own any more.
  m_leaders.clear();
  m_dropping = true;
}

void RequestBroker::cancel_in_flight() {
  m_engine.cancel_in_flight();
}

bool RequestBroker::idle() const {
  return m_cached.empty() && m_engine.idle() && (m_unclaimed.empty() || m_dropping);
}

void RequestBroker::note_connectivity(std::size_t endpoint, const TransferResult& result) {
  std::size_t& refusals = m_consecutive_refusals[endpoint];
  if (result) {
    refusals = 0;
    return;
  }
  if (!result.error().no_connection) {
    return;
  }
  ++refusals;
  if (m_engine.answers(endpoint) == 0 && !m_unreachable && refusals >= m_refusals_to_give_up) {
    m_unreachable = Unreachable{endpoint, result.error().message};
  }
}

}  // namespace promptbench
