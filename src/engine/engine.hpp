// SPDX-License-Identifier: Apache-2.0
// The request engine: queues requests per provider and hands them to a Transport
// within the concurrency limits and rate limits, retrying transient failures with
// exponential backoff and full jitter. Single-threaded; time comes from an injected Clock
// so that every delay can be tested without sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "promptbench/clock.hpp"
#include "promptbench/progress.hpp"
#include "promptbench/transport.hpp"

namespace promptbench {

struct RetryPolicy {
  int max_retries = 5;      ///< for failures; 429s have their own, larger budget
  int max_throttled = 100;  ///< 429 answers tolerated per request (the server said "later")
  std::chrono::milliseconds base_delay{500};            ///< first backoff ceiling
  std::chrono::milliseconds max_delay{30'000};          ///< backoff ceiling
  std::chrono::milliseconds max_server_delay{300'000};  ///< cap on Retry-After
};

/// What a provider makes of an HTTP answer (Provider::advise).
using AdviseFn = std::function<RetryAdvice(const HttpResponse&)>;

/// What to do with an attempt's result: connection errors and timeouts are retried;
/// cancelled or oversized transfers are final; an HTTP answer gets `advise` (by status,
/// advice_for_status, when unset).
[[nodiscard]] RetryAdvice advice_for(const TransferResult& result, const AdviseFn& advise);

/// What an answer's rate-limit headers say: how many requests and tokens the endpoint
/// still allows, and when each allowance is restored. Read from Anthropic's
/// `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{remaining,reset}`
/// (reset: an RFC 3339 time) and OpenAI's `x-ratelimit-{remaining,reset}-{requests,tokens}`
/// (reset: a duration such as "1s", "6m0s", "20ms").
struct RateLimitHint {
  std::optional<double> requests_remaining;
  std::optional<std::chrono::milliseconds> requests_reset;  ///< from `now`
  std::optional<double> tokens_remaining;
  std::optional<std::chrono::milliseconds> tokens_reset;
  [[nodiscard]] bool empty() const { return !requests_remaining && !tokens_remaining; }
};
[[nodiscard]] RateLimitHint read_rate_limit_headers(const HttpResponse& response,
                                                    std::chrono::system_clock::time_point now);
/// OpenAI's reset durations: "1s", "6m0s", "1h2m3.5s", "250ms"; nullopt when unreadable.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_reset_duration(
    const std::string& text);

/// The wait a server asked for: `retry-after-ms`, else `Retry-After` in seconds or as an
/// HTTP-date (relative to `now`). Nullopt when absent or unreadable.
[[nodiscard]] std::optional<std::chrono::milliseconds> server_retry_delay(
    const HttpResponse& response, std::chrono::system_clock::time_point now);

/// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(retry-1))], retry >= 1.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry,
                                                      std::mt19937_64& rng);

/// A token bucket refilled continuously at `per_minute`; capacity one second's worth (at
/// least 1), as rate_limit.cpp explains.
class TokenBucket {
 public:
  TokenBucket() = default;  ///< unlimited
  TokenBucket(double per_minute, Clock::time_point now);
  [[nodiscard]] bool limited() const { return m_per_minute > 0; }
  /// Time until `amount` tokens are available (zero if they are now).
  [[nodiscard]] std::chrono::milliseconds wait_for(double amount, Clock::time_point now);
  /// Takes `amount` (may go negative: a debt repaid by later refills).
  void take(double amount, Clock::time_point now);
  /// Gives back (or takes more) after the real cost is known.
  void adjust(double delta);

 private:
  void refill(Clock::time_point now);
  double m_per_minute = 0;
  double m_tokens = 0;
  Clock::time_point m_updated{};
};

struct ProviderLimits {
  int concurrency = 16;
  double rpm = 0;  ///< 0 = unlimited
  double tpm = 0;
  RetryPolicy retry;
  AdviseFn advise;  ///< unset: advice_for_status
  /// Base URLs of servers that answer alike (`base_urls:`); requests built for the first
  /// go to the least-loaded healthy one. Empty or one: no choice to make.
  std::vector<std::string> replicas;
  /// How long a replica that refused a connection or timed out is left out.
  std::chrono::milliseconds replica_cooldown{10'000};
};

/// Requests sent to one replica of an endpoint, retries included, and how many of them
/// failed to connect or timed out.
struct ReplicaTraffic {
  std::string base_url;
  std::size_t requests = 0;
  std::size_t failures = 0;
};

struct EngineJob {
  std::size_t provider = 0;  ///< index into the limits given to the engine
  HttpRequest request;
  TransferOptions options;
  std::uint64_t tag = 0;        ///< the caller's own key, handed back on completion
  double estimated_tokens = 0;  ///< for the tpm bucket
};

struct EngineResult {
  std::uint64_t tag = 0;
  std::size_t provider = 0;
  TransferResult result;
  int attempts = 1;
  double estimated_tokens = 0;
};

class Engine {
 public:
  /// `transport` and `clock` must outlive the engine. `seed` drives the backoff jitter.
  Engine(Transport& transport, std::vector<ProviderLimits> providers, int global_limit,
         Clock& clock = system_clock(), std::uint64_t seed = 0);

  /// True while the engine wants more jobs queued (so it never runs dry, and never
  /// buffers more than a small multiple of the global limit).
  [[nodiscard]] bool wants_more() const;
  void submit(EngineJob job);

  /// Starts what the limits allow, waits at most `max_wait` for progress and returns the
  /// jobs that ended for good (answered, or failed after their last retry).
  [[nodiscard]] std::vector<EngineResult> step(std::chrono::milliseconds max_wait);

  /// The tokens a request really used, once known: corrects the tpm bucket.
  void record_usage(std::size_t provider, double estimated, double actual);

  /// Drops jobs that have not started (queued or waiting to retry); they are not reported.
  void drop_queued();
  /// Cancels transfers in flight; each is reported by a later step() as cancelled.
  void cancel_in_flight();

  [[nodiscard]] bool idle() const;
  [[nodiscard]] std::size_t in_flight() const { return m_in_flight.size(); }
  [[nodiscard]] EngineStatus status() const;
  /// The provider's current concurrency window (lowered after 429s, regrown on success).
  [[nodiscard]] double window(std::size_t provider) const { return m_lanes.at(provider).window; }
  /// Transfers to `provider` that got an HTTP answer (of any status), retries included.
  [[nodiscard]] std::size_t answers(std::size_t provider) const {
    return m_lanes.at(provider).answers;
  }
  /// Traffic per replica of `provider`; empty when it has fewer than two.
  [[nodiscard]] std::vector<ReplicaTraffic> replica_traffic(std::size_t provider) const;

 private:
  struct Pending {
    EngineJob job;
    int attempts = 0;
    int throttled = 0;        ///< attempts told to back off: they do not use up the retry budget
    int rerouted = 0;         ///< attempts lost with a replica and sent to another: free as well
    std::size_t replica = 0;  ///< of the attempt in flight
  };
  struct Replica {
    ReplicaTraffic traffic;
    int running = 0;
    Clock::time_point cooling_until{};
  };
  struct Delayed {
    Clock::time_point due;
    std::uint64_t order;
    Pending pending;
    bool operator>(const Delayed& other) const {
      return due != other.due ? due > other.due : order > other.order;
    }
  };
  struct Lane {
    ProviderLimits limits;
    double window = 0;  ///< adaptive concurrency: halves on 429, +1/window per success
    int running = 0;
    std::size_t answers = 0;  ///< transfers that got any HTTP answer
    std::deque<Pending> queue;
    TokenBucket requests;
    TokenBucket tokens;
    std::optional<Clock::time_point> last_decrease;  ///< of the window, after a 429
    /// Set from the answers' rate-limit headers: no request starts before it.
    Clock::time_point paused_until{};
    std::vector<Replica> replicas;
  };

  void release_due_retries();
  void dispatch();
  /// How long until something the engine waits for (a retry, a token) could happen.
  [[nodiscard]] std::optional<std::chrono::milliseconds> next_wake() const;
  /// Handles one finished attempt: schedules a retry or returns the final result.
  std::optional<EngineResult> settle(Pending pending, TransferResult result);
  /// Sends `pending` to the least-loaded healthy replica of `lane` (rewriting its URL).
  void route_to_replica(Lane& lane, Pending& pending, Clock::time_point now);
  /// After an attempt on a replica: leaves the replica out for a while when it could not be
  /// reached; true when another replica can take the request at once.
  bool note_replica_result(Lane& lane, const Pending& pending, const TransferResult& result,
                           Clock::time_point now);
  /// Holds `lane` back when the endpoint's rate-limit headers say its allowance is spent.
  void pace(Lane& lane, const HttpResponse& response, Clock::time_point now);

  Transport& m_transport;
  Clock& m_clock;
  std::mt19937_64 m_rng;
  int m_global_limit;
  std::vector<Lane> m_lanes;
  std::size_t m_queued = 0;
  std::size_t m_next_lane = 0;  ///< round-robin start, so no provider starves
  TransferId m_next_id = 1;
  std::uint64_t m_delayed_order = 0;
  std::unordered_map<TransferId, Pending> m_in_flight;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> m_delayed;
  Clock::time_point m_blocked_until{};  ///< earliest time a rate-limited lane can start
};

}  // namespace promptbench
