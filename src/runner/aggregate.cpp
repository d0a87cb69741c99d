// SPDX-License-Identifier: Apache-2.0
// From per-case numbers to the per-variant figures of the report.
#include "runner/aggregate.hpp"

#include <algorithm>
#include <cmath>

#include "promptbench/stats.hpp"

namespace promptbench {

MetricSummary summarize_metric(const Metric& metric, const std::vector<float>& scores,
                               const std::vector<std::int8_t>& passes) {
  std::vector<double> values;
  values.reserve(scores.size());
  for (float score : scores) {
    if (!std::isnan(score)) {
      values.push_back(score);
    }
  }
  const Summary stats = summarize(values);
  MetricSummary summary;
  summary.ci_low = stats.ci_low;
  summary.ci_high = stats.ci_high;
  // A 0/1 score is a proportion: the Wilson interval stays inside [0, 1] and behaves at
  // 0% and 100%, where the t interval collapses or overshoots.
  const bool binary = !values.empty() && std::all_of(values.begin(), values.end(),
                                                     [](double v) { return v == 0.0 || v == 1.0; });
  if (binary) {
    const auto successes = static_cast<std::size_t>(std::count(values.begin(), values.end(), 1.0));
    const Interval wilson = wilson_interval(successes, values.size());
    summary.ci_low = wilson.low;
    summary.ci_high = wilson.high;
  }
  summary.name = metric.name();
  summary.n = stats.n;
  summary.mean = stats.mean;
  summary.stddev = stats.stddev;
  summary.stderr_ = stats.stderr_;
  summary.higher_is_better = metric.higher_is_better();
  std::size_t judged = 0;
  std::size_t passed = 0;
  for (std::int8_t pass : passes) {
    if (pass >= 0) {
      ++judged;
      passed += static_cast<std::size_t>(pass);
    }
  }
  if (judged > 0) {
    summary.pass_rate = static_cast<double>(passed) / static_cast<double>(judged);
  }
  return summary;
}

std::vector<GateResult> evaluate_gates(const std::vector<GateConfig>& gates,
                                       const std::vector<VariantSummary>& variants) {
  std::vector<GateResult> results;
  for (const GateConfig& gate : gates) {
    for (const VariantSummary& variant : variants) {
      if (!gate.variant.empty() && gate.variant != variant.id) {
        continue;
      }
      GateResult result{gate.metric, variant.id, gate.min, gate.max, std::nullopt, false};
      for (const MetricSummary& metric : variant.metrics) {
        if (metric.name == gate.metric && metric.n > 0) {
          result.value = metric.mean;
        }
      }
      result.passed = result.value && (!gate.min || *result.value >= *gate.min) &&
                      (!gate.max || *result.value <= *gate.max);
      results.push_back(result);
    }
  }
  return results;
}

}  // namespace promptbench
