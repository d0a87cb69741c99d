// SPDX-License-Identifier: Apache-2.0
// From per-case numbers to the per-variant figures of the report, the comparisons with the
// baseline and the gates.
#include "runner/aggregate.hpp"

#include <algorithm>
#include <cmath>

#include "promptbench/stats.hpp"

namespace promptbench {

void VariantAggregate::add_score(std::size_t metric, std::size_t index, double value) {
  float& sum = scores[metric][index];
  sum = std::isnan(sum) ? static_cast<float>(value) : sum + static_cast<float>(value);
  ++samples[metric][index];
}

void VariantAggregate::add_pass(std::size_t metric, bool pass) {
  ++judged[metric];
  passed[metric] += pass ? 1 : 0;
}

std::vector<double> VariantAggregate::case_means(std::size_t metric) const {
  const std::vector<float>& sums = scores[metric];
  std::vector<double> means(sums.size(), std::nan(""));
  for (std::size_t i = 0; i < sums.size(); ++i) {
    if (samples[metric][i] > 0) {
      means[i] = static_cast<double>(sums[i]) / samples[metric][i];
    }
  }
  return means;
}

MetricSummary summarize_metric(const Metric& metric, const VariantAggregate& aggregate,
                               std::size_t index, std::size_t repeat, std::uint64_t seed) {
  std::size_t scored = 0;
  for (const std::uint16_t samples : aggregate.samples[index]) {
    scored += samples;
  }
  const std::size_t planned = aggregate.samples[index].size() * repeat;
  std::vector<double> values = aggregate.case_means(index);
  std::erase_if(values, [](double v) { return std::isnan(v); });
  const Summary stats = summarize(values);
  MetricSummary summary;
  summary.name = metric.name();
  summary.n = stats.n;
  summary.unscored = planned > scored ? planned - scored : 0;
  summary.mean = stats.mean;
  summary.stddev = stats.stddev;
  summary.stderr_ = stats.stderr_;
  summary.higher_is_better = metric.higher_is_better();
  if (!values.empty()) {
    // A 0/1 score is a proportion: the Wilson interval stays inside [0, 1] and behaves at
    // 0% and 100%. Anything else gets the percentile bootstrap.
    const bool binary =
        std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0 || v == 1.0; });
    const Interval interval =
        binary ? wilson_interval(
                     static_cast<std::size_t>(std::count(values.begin(), values.end(), 1.0)),
                     values.size())
               : bootstrap_mean_interval(values, ResampleOptions{seed});
    summary.ci_low = interval.low;
    summary.ci_high = interval.high;
  }
  if (aggregate.judged[index] > 0) {
    summary.pass_rate =
        static_cast<double>(aggregate.passed[index]) / static_cast<double>(aggregate.judged[index]);
  }
  return summary;
}

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

std::size_t baseline_index(const Config& config, const std::vector<Variant>& variants) {
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (variants[v].id == config.baseline) {
      return v;
    }
  }
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (config.prompts[variants[v].prompt].id == config.baseline) {
      return v;
    }
  }
  return 0;
}

std::vector<Comparison> compare_with_baseline(const std::vector<Variant>& variants,
                                              const std::vector<VariantAggregate>& aggregates,
                                              const std::vector<std::unique_ptr<Metric>>& metrics,
                                              std::size_t baseline,
                                              const ComparisonOptions& options) {
  std::vector<PairedScores> inputs;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (v == baseline) {
      continue;
    }
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      PairedScores scores;
      scores.metric = metrics[m]->name();
      scores.baseline = variants[baseline].id;
      scores.variant = variants[v].id;
      scores.baseline_scores = aggregates[baseline].case_means(m);
      scores.variant_scores = aggregates[v].case_means(m);
      scores.pass_fail = is_pass_fail(scores.baseline_scores, scores.variant_scores);
      scores.higher_is_better = metrics[m]->higher_is_better();
      inputs.push_back(std::move(scores));
    }
  }
  return compare_all(inputs, options);
}

}  // namespace promptbench
