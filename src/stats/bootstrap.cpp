// SPDX-License-Identifier: Apache-2.0
// Percentile bootstrap intervals of a mean and of a paired mean difference.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "promptbench/stats.hpp"
#include "stats/random.hpp"

namespace promptbench {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

Interval bootstrap_mean_interval(std::span<const double> values, const ResampleOptions& options) {
  std::vector<double> kept;
  kept.reserve(values.size());
  for (double value : values) {
    if (!std::isnan(value)) {
      kept.push_back(value);
    }
  }
  if (kept.empty()) {
    return {kNaN, kNaN};
  }
  const auto [lowest, highest] = std::minmax_element(kept.begin(), kept.end());
  if (*lowest == *highest) {
    return {*lowest, *highest};
  }
  if (options.resamples == 0) {
    return {kNaN, kNaN};
  }
  const std::size_t n = kept.size();
  if (n > options.max_draws / options.resamples) {
    // Too much work to resample: the bootstrap distribution of a mean of this many values
    // is the normal one the t interval uses.
    const Summary summary = summarize(kept);
    return {summary.ci_low, summary.ci_high};
  }
  stats::SpecifiedRandom random(options.seed);
  std::vector<double> means(options.resamples);
  for (double& mean : means) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sum += kept[random.below(n)];
    }
    mean = sum / static_cast<double>(n);
  }
  return {quantile(means, 0.025), quantile(means, 0.975)};
}

Interval paired_bootstrap_interval(std::span<const double> baseline,
                                   std::span<const double> variant,
                                   const ResampleOptions& options) {
  if (baseline.size() != variant.size()) {
    throw std::invalid_argument("paired_bootstrap_interval: score vectors differ in length");
  }
  std::vector<double> differences;
  differences.reserve(baseline.size());
  for (std::size_t i = 0; i < baseline.size(); ++i) {
    if (!std::isnan(baseline[i]) && !std::isnan(variant[i])) {
      differences.push_back(variant[i] - baseline[i]);
    }
  }
  return bootstrap_mean_interval(differences, options);
}

}  // namespace promptbench
