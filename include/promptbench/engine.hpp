// SPDX-License-Identifier: Apache-2.0
// The request engine (SPEC §4): queues requests per provider and hands them to a Transport
// within the global and per-provider concurrency limits. Single-threaded event loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "promptbench/transport.hpp"

namespace promptbench {

struct EngineJob {
  std::size_t provider = 0;  ///< index into the limits given to the engine
  HttpRequest request;
  TransferOptions options;
  std::uint64_t tag = 0;  ///< the caller's own key, handed back on completion
};

struct EngineResult {
  std::uint64_t tag = 0;
  std::size_t provider = 0;
  TransferResult result;
  int attempts = 1;
};

class Engine {
 public:
  /// `provider_limits[i]` caps requests in flight to provider i; `global_limit` caps all.
  /// `transport` must outlive the engine.
  Engine(Transport& transport, std::vector<int> provider_limits, int global_limit);

  /// True while the engine wants more jobs queued (so it never runs dry, and never
  /// buffers more than a small multiple of the global limit).
  [[nodiscard]] bool wants_more() const;
  void submit(EngineJob job);

  /// Starts what the limits allow, waits at most `max_wait` for the transport and returns
  /// the jobs that ended.
  [[nodiscard]] std::vector<EngineResult> step(std::chrono::milliseconds max_wait);

  /// Drops queued jobs that have not started; they are not reported.
  void drop_queued();
  /// Cancels transfers in flight; each is reported by a later step() as cancelled.
  void cancel_in_flight();

  [[nodiscard]] bool idle() const { return m_queued == 0 && m_in_flight.empty(); }
  [[nodiscard]] std::size_t in_flight() const { return m_in_flight.size(); }

 private:
  struct Running {
    std::uint64_t tag;
    std::size_t provider;
  };
  void dispatch();

  Transport& m_transport;
  std::vector<int> m_limits;
  int m_global_limit;
  std::vector<std::deque<EngineJob>> m_queues;
  std::vector<int> m_running_per_provider;
  std::size_t m_queued = 0;
  std::size_t m_next_queue = 0;  ///< round-robin start, so no provider starves
  TransferId m_next_id = 1;
  std::unordered_map<TransferId, Running> m_in_flight;
};

}  // namespace promptbench
