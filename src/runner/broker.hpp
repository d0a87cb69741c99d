// SPDX-License-Identifier: Apache-2.0
// The request broker: every request of a run -- to a variant's provider or to a judge --
// goes through here. It answers from the cache when it can (the cache is also the run's
// journal), sends the rest through the engine, and hands each reply back with the typed
// ticket it was sent with. It also notices an endpoint that refuses every connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/engine.hpp"
#include "promptbench/cache.hpp"
#include "promptbench/provider.hpp"

namespace promptbench {

/// What a request is for: the result of variant x repeat `slot` of case `case_index`, or
/// the judging of that result with metric `metric`.
struct Ticket {
  enum class Kind { model, judge };
  Kind kind = Kind::model;
  std::size_t case_index = 0;
  std::size_t slot = 0;
  std::size_t metric = 0;  ///< judge tickets only
};

struct Reply {
  Ticket ticket;
  std::size_t endpoint = 0;
  TransferResult result;
  int attempts = 0;  ///< 0 when cached
  bool cached = false;
  double estimated_tokens = 0;
  std::string cache_key;  ///< empty without a cache
};

/// An endpoint that refused every connection before it ever answered.
struct Unreachable {
  std::size_t endpoint = 0;
  std::string message;
};

/// When the journal commits (README "Cache and journal"): once the oldest answer staged has
/// waited `window`, or once `max_answers` are staged, whichever comes first. One commit then
/// covers every answer of the window: one WAL append and one lock round instead of one per
/// turn of the loop. A kill -9 loses at most the answers of one window, never more than
/// `max_answers`, which the broker holds to the run's concurrency.
struct JournalCadence {
  std::chrono::microseconds window{2'000};
  std::size_t max_answers = 64;
};

class RequestBroker {
 public:
  struct Endpoint {
    ProviderLimits limits;
    TransferOptions transfer;
  };
  /// `transport`, `clock` and `cache` (null: no cache) must outlive the broker. The journal
  /// commits at `cadence`, with at most `global_limit` answers staged.
  RequestBroker(Transport& transport, std::vector<Endpoint> endpoints, int global_limit,
                Clock& clock, std::uint64_t seed, ResponseCache* cache,
                JournalCadence cadence = {});

  /// Whether the broker wants more requests now (the engine has room, and not too many
  /// cached replies wait to be taken).
  [[nodiscard]] bool wants_more() const;
  /// Sends `request` for `ticket` to `endpoint`, or queues the cache's answer to it (sample
  /// `sample` of the same request has its own cache entry). With the cache on, a request
  /// identical to one in flight (same cache key: same request, same sample) is not sent
  /// at once: it waits for that request's answer. An answer the run remembers (one the
  /// cache keeps) is shared with every request that waited, as a cached answer; after a
  /// failure, which the cache would not keep either, each waiting request is sent on its
  /// own. Repeats have keys of their own, so they stay independent samples.
  void submit(const Ticket& ticket, std::size_t endpoint, HttpRequest request,
              double estimated_tokens, int sample);
  /// Replies that came in: cached ones at once, the engine's within `max_wait`, or sooner
  /// when the journal's window closes sooner (it is committed on time with no new event).
  [[nodiscard]] std::vector<Reply> step(std::chrono::milliseconds max_wait);
  /// Journals an answer the run could read (never one it could not parse), and answers the
  /// identical requests that waited for it. The answer is staged; the journal's window
  /// commits it, or at once when it fills the window (JournalCadence::max_answers).
  void remember(const Reply& reply);
  /// The tokens a request really used: corrects the endpoint's tpm bucket.
  void record_usage(const Reply& reply, double actual_tokens);
  /// Commits the staged answers once the journal's window has closed (JournalCadence); the
  /// run calls it at the end of every turn.
  void commit_when_due();
  /// Commits every staged answer now: at the end of the run and while it stops. A cache
  /// that fails (CacheError) is noted in cache_failure(), not thrown; its answers stay
  /// staged and each later commit tries them again.
  void commit();
  /// The first failure of the cache, read or write ("cannot write the cache PATH: ..."): the
  /// run stops on it. A request whose cache lookup failed is not sent: its reply is
  /// `cancelled`, like one cut off by a stop (the answer may be in the cache, paid for).
  [[nodiscard]] const std::optional<std::string>& cache_failure() const { return m_cache_failure; }
  /// Answers received and not yet in the cache (staged: a commit failed or is to come).
  [[nodiscard]] std::size_t uncommitted() const;

  /// Drops requests not yet sent; cancels those in flight with cancel_in_flight().
  void drop_queued();
  void cancel_in_flight();
  [[nodiscard]] bool idle() const;
  [[nodiscard]] EngineStatus status() const { return m_engine.status(); }
  /// Requests per replica of `endpoint`; empty when it has a single base URL.
  [[nodiscard]] std::vector<ReplicaTraffic> replica_traffic(std::size_t endpoint) const {
    return m_engine.replica_traffic(endpoint);
  }
  /// Set once an endpoint refused `refusals_to_give_up` connections in a row without ever
  /// answering: a wrong base_url or a server that is not running.
  [[nodiscard]] const std::optional<Unreachable>& unreachable() const { return m_unreachable; }
  void set_refusals_to_give_up(std::size_t refusals) { m_refusals_to_give_up = refusals; }

 private:
  /// A request waiting for the answer of an identical one in flight.
  struct Follower {
    Ticket ticket;
    std::size_t endpoint = 0;
    HttpRequest request;  ///< sent on its own if the answer is not one to share
    double estimated_tokens = 0;
  };
  struct InFlight {
    Ticket ticket;
    std::string cache_key;
    std::vector<Follower> followers;
  };
  void send(const Ticket& ticket, std::size_t endpoint, HttpRequest request,
            double estimated_tokens, std::string key);
  /// Queues `answer` for `ticket` as a cached reply: from the cache, or shared by the
  /// identical request it waited for.
  void queue_cached(const Ticket& ticket, std::size_t endpoint, HttpResponse answer,
                    double estimated_tokens, std::string key);
  /// Sends on their own the followers whose leader's answer the run did not remember (it
  /// handles a step's replies before the next step).
  void resend_unclaimed();
  void note_connectivity(std::size_t endpoint, const TransferResult& result);
  void note_cache_failure(const CacheError& error);
  /// How long step() may wait before the journal's window closes (max() when none is open).
  [[nodiscard]] std::chrono::milliseconds until_window_closes() const;

  Engine m_engine;
  Clock& m_clock;
  ResponseCache* m_cache;
  JournalCadence m_cadence;
  /// When the window of the answers staged closes; unset while none is staged.
  std::optional<Clock::time_point> m_window_closes;
  std::vector<TransferOptions> m_transfer;
  std::unordered_map<std::uint64_t, InFlight> m_in_flight;  ///< by engine tag
  /// The engine tag of the request in flight for each cache key (with the cache on).
  std::unordered_map<std::string, std::uint64_t> m_leaders;
  /// Followers of answered requests, by key, until the run remembers the answer.
  std::unordered_map<std::string, std::vector<Follower>> m_unclaimed;
  std::size_t m_followers = 0;  ///< waiting in m_in_flight or m_unclaimed
  bool m_dropping = false;      ///< drop_queued() was called: the run is stopping
  std::uint64_t m_next_tag = 0;
  std::deque<Reply> m_cached;
  std::optional<std::string> m_cache_failure;
  std::vector<std::size_t> m_consecutive_refusals;  ///< per endpoint
  std::size_t m_refusals_to_give_up = 8;
  std::optional<Unreachable> m_unreachable;
};

}  // namespace promptbench
