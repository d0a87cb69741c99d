// SPDX-License-Identifier: Apache-2.0
// How many requests may be in flight, in all and per endpoint, and why (README
// "Concurrency"). Every limit the config or the command line sets is honoured; where two
// disagree, the plan says which one is in force, so no limit caps another silently.
#pragma once

#include <string>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/runner.hpp"

namespace promptbench {

struct ConcurrencyPlan {
  int global = 0;  ///< requests in flight across all endpoints
  /// Where `global` comes from: "-j 64", "concurrency: 64 in the config", or "the sum of
  /// the providers' limits".
  std::string global_source;
  /// Per endpoint, in endpoints(config) order: its limit; 0 for one the run does not use.
  std::vector<int> endpoint_limits;
  /// One sentence per disagreement between limits: which is in force, and why.
  std::vector<std::string> notes;
};

/// The limits of a run of `variants`, with -j `flag` (0: not given). A provider (or judge)
/// with its own `concurrency:` keeps it; one without takes the global limit when -j or the
/// config's `concurrency:` sets one, else kDefaultProviderConcurrency. Without -j and
/// without a global `concurrency:`, the global limit is the sum of the limits of the
/// endpoints the run sends to (its variants' providers, but recorded ones, and the judges
/// its metrics name).
[[nodiscard]] ConcurrencyPlan plan_concurrency(const Config& config,
                                               const std::vector<Variant>& variants, int flag);

/// "concurrency: 80 requests in flight at most (the sum of the providers' limits: a 16,
/// b 64)", then the notes: what --dry-run and -v print.
[[nodiscard]] std::vector<std::string> describe(const ConcurrencyPlan& plan, const Config& config);

}  // namespace promptbench
