// SPDX-License-Identifier: Apache-2.0
// Per-variant running totals: a few numbers per case, enough for every statistic later.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/report.hpp"

namespace promptbench {

struct VariantAggregate {
  VariantAggregate(std::size_t metrics, std::size_t cases)
      : scores(metrics, std::vector<float>(cases, std::numeric_limits<float>::quiet_NaN())),
        passes(metrics, std::vector<std::int8_t>(cases, -1)) {}

  std::size_t errors = 0;
  std::size_t cache_hits = 0;
  std::size_t attempts = 0;
  std::size_t retries = 0;
  std::map<std::string, std::size_t> errors_by_kind;
  std::vector<std::vector<float>> scores;        ///< [metric][case]; NaN = not scored
  std::vector<std::vector<std::int8_t>> passes;  ///< [metric][case]; -1 none, 0 fail, 1 pass
  std::vector<double> latencies;                 ///< ms, of answered requests
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

[[nodiscard]] MetricSummary summarize_metric(const Metric& metric, const std::vector<float>& scores,
                                             const std::vector<std::int8_t>& passes);

/// Each gate against each variant it applies to, on the variant's mean.
[[nodiscard]] std::vector<GateResult> evaluate_gates(const std::vector<GateConfig>& gates,
                                                     const std::vector<VariantSummary>& variants);

}  // namespace promptbench
