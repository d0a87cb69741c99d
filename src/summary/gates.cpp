// SPDX-License-Identifier: Apache-2.0
// Gates: each configured bound held against each variant it applies to.
#include "promptbench/summary.hpp"

namespace promptbench {

namespace {

GateResult evaluate_gate(const GateConfig& gate, const VariantSummary& variant,
                         std::size_t planned_results) {
  GateResult result;
  result.metric = gate.metric;
  result.variant = variant.id;
  result.min = gate.min;
  result.max = gate.max;
  result.on = gate.on == GateOn::ci_low ? "ci_low" : "mean";
  result.max_unscored = gate.max_unscored.of(planned_results);
  result.max_unscored_percent = gate.max_unscored.percent;
  result.unscored = planned_results;  // a metric the variant never reported: all unscored
  for (const MetricSummary& metric : variant.metrics) {
    if (metric.name == gate.metric) {
      result.unscored = metric.unscored;
      if (metric.n > 0) {
        result.value = metric.mean;
        result.ci_low = metric.ci_low;
        result.ci_high = metric.ci_high;
      }
    }
  }
  if (!result.value) {
    return result;
  }
  // On the interval, each bound is held against the end that is pessimistic for it.
  const double low = gate.on == GateOn::ci_low ? *result.ci_low : *result.value;
  const double high = gate.on == GateOn::ci_low ? *result.ci_high : *result.value;
  if (gate.min && !(low >= *gate.min)) {
    result.shortfall = *gate.min - low;
  } else if (gate.max && !(high <= *gate.max)) {
    result.shortfall = high - *gate.max;
  }
  result.passed = !result.shortfall && result.unscored <= result.max_unscored;
  return result;
}

}  // namespace

std::vector<GateResult> evaluate_gates(const std::vector<GateConfig>& gates,
                                       const std::vector<VariantSummary>& variants,
                                       std::size_t planned_results) {
  std::vector<GateResult> results;
  for (const GateConfig& gate : gates) {
    for (const VariantSummary& variant : variants) {
      if (gate.variant.empty() || gate.variant == variant.id) {
        results.push_back(evaluate_gate(gate, variant, planned_results));
      }
    }
  }
  return results;
}

}  // namespace promptbench
