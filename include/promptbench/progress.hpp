// SPDX-License-Identifier: Apache-2.0
// What a running evaluation reports to its progress display.
#pragma once

#include <cstddef>

namespace promptbench {

/// What the engine is doing right now, for a progress display.
struct EngineStatus {
  std::size_t in_flight = 0;      ///< transfers on the wire
  std::size_t waiting_retry = 0;  ///< failed attempts waiting out their backoff
  std::size_t queued = 0;         ///< ready to start, held by a concurrency limit
  bool rate_limited = false;      ///< a rate limit holds back a queued request now
};

/// Handed to the progress callback after every finished request and at least every 100 ms
/// while the run waits (for answers, for a retry's backoff, for a rate limit).
struct Progress {
  std::size_t done = 0;  ///< requests finished (answered or failed), judges' included
  /// Requests of the run, judges' included; a result whose request or extraction failed
  /// takes its judge requests off.
  std::size_t total = 0;
  std::size_t errors = 0;  ///< request, judge and scorer errors so far
  std::size_t cache_hits = 0;
  std::size_t retries = 0;
  EngineStatus engine;  ///< in flight, waiting for a retry, rate-limited
};

}  // namespace promptbench
