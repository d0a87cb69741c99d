// SPDX-License-Identifier: Apache-2.0
// The report's `slices` section: each slice value's figures and comparisons.
#include "promptbench/summary.hpp"

namespace promptbench {

nlohmann::ordered_json slices_json(const SummaryPlan& plan,
                                   const std::vector<SliceFigures>& slices) {
  nlohmann::ordered_json values = nlohmann::ordered_json::array();
  for (const SliceFigures& slice : slices) {
    nlohmann::ordered_json variants = nlohmann::ordered_json::array();
    for (const VariantSummary& variant : slice.variants) {
      nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
      for (const MetricSummary& metric : variant.metrics) {
        metrics[metric.name] = to_json(metric);
      }
      variants.push_back(
          {{"id", variant.id}, {"cases", variant.cases}, {"metrics", std::move(metrics)}});
    }
    nlohmann::ordered_json comparisons = nlohmann::ordered_json::array();
    for (const Comparison& comparison : slice.comparisons) {
      comparisons.push_back(to_json(comparison));
    }
    nlohmann::ordered_json entry = {{"field", slice.field},
                                    {"value", slice.value},
                                    {"cases", slice.cases},
                                    {"gated", slice.not_gated.empty()}};
    if (!slice.not_gated.empty()) {
      entry["note"] = slice.not_gated;
    }
    entry["variants"] = std::move(variants);
    entry["comparisons"] = std::move(comparisons);
    values.push_back(std::move(entry));
  }
  return {
      {"fields", plan.slices}, {"min_cases", plan.slice_min_cases}, {"values", std::move(values)}};
}

}  // namespace promptbench
