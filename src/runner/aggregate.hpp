// SPDX-License-Identifier: Apache-2.0
// Per-variant running totals: a few numbers per case, enough for every statistic later.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "promptbench/comparison.hpp"
#include "promptbench/config.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/report.hpp"
#include "promptbench/runner.hpp"

namespace promptbench {

struct VariantAggregate {
  VariantAggregate(std::size_t metrics, std::size_t cases)
      : scores(metrics, std::vector<float>(cases, std::numeric_limits<float>::quiet_NaN())),
        samples(metrics, std::vector<std::uint16_t>(cases, 0)),
        judged(metrics, 0),
        passed(metrics, 0),
        finished(cases, 0) {}

  /// Adds one scored sample of case `index` (several with --repeat).
  void add_score(std::size_t metric, std::size_t index, double value);
  void add_pass(std::size_t metric, bool pass);
  /// [case]: the mean of the case's samples -- with --repeat the case is the unit of every
  /// statistic; NaN for a case without a score.
  [[nodiscard]] std::vector<double> case_means(std::size_t metric) const;

  std::size_t errors = 0;
  std::size_t cache_hits = 0;
  std::size_t attempts = 0;
  std::size_t retries = 0;
  std::map<std::string, std::size_t> errors_by_kind;
  std::vector<std::vector<float>> scores;  ///< [metric][case]: sum of its samples; NaN = none
  std::vector<std::vector<std::uint16_t>> samples;  ///< [metric][case]: samples scored
  std::vector<std::size_t> judged;                  ///< [metric]: samples with a pass flag
  std::vector<std::size_t> passed;                  ///< [metric]: of which passed
  std::vector<std::uint16_t> finished;  ///< [case]: results that ended (scored or failed)
  std::vector<double> latencies;        ///< ms, of answered requests
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double cost_usd = 0;  ///< summed over answered requests when the provider has pricing
};

/// n, mean, stddev, stderr over the cases' means; the 95% interval is Wilson's when every
/// case mean is 0 or 1 (a pass rate), else the percentile bootstrap with `seed`. `unscored`
/// counts the results of the run's cases x `repeat` that have no score.
[[nodiscard]] MetricSummary summarize_metric(const Metric& metric,
                                             const VariantAggregate& aggregate, std::size_t index,
                                             std::size_t repeat, std::uint64_t seed);

/// Each gate against each variant it applies to, on the mean or the interval (GateOn). A
/// gate also fails when more of the variant's `planned_results` (cases x repeat) are
/// unscored than its `max_unscored` allows: it never passes on the survivors alone.
[[nodiscard]] std::vector<GateResult> evaluate_gates(const std::vector<GateConfig>& gates,
                                                     const std::vector<VariantSummary>& variants,
                                                     std::size_t planned_results);

/// The index in `variants` of the baseline: Config::baseline as a variant id, or as a prompt
/// id (that prompt's first variant); the first variant when it names none of `variants`
/// (filtered out by --prompt/--provider) or is empty.
[[nodiscard]] std::size_t baseline_index(const Config& config,
                                         const std::vector<Variant>& variants);

/// Every variant against the baseline, on every metric, paired by case (per-case means),
/// Holm-adjusted as one family, verdicts at `options.alpha` and `options.min_effect`.
/// Deterministic for `options.resample.seed`.
[[nodiscard]] std::vector<Comparison> compare_with_baseline(
    const std::vector<Variant>& variants, const std::vector<VariantAggregate>& aggregates,
    const std::vector<std::unique_ptr<Metric>>& metrics, std::size_t baseline,
    const ComparisonOptions& options);

}  // namespace promptbench
