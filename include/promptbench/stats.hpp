// SPDX-License-Identifier: Apache-2.0
// Descriptive statistics over per-case scores (SPEC §4 "Statistics").
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace promptbench {

struct Summary {
  std::size_t n = 0;
  double mean = 0;
  double stddev = 0;   ///< sample standard deviation (n - 1)
  double stderr_ = 0;  ///< stddev / sqrt(n)
  double ci_low = 0;   ///< 95% confidence interval of the mean (Student t)
  double ci_high = 0;
};

/// n, mean, sample stddev, standard error and a 95% Student-t interval of the mean.
/// NaN values (cases without a score) are skipped.
[[nodiscard]] Summary summarize(std::span<const double> values);

/// The q-quantile (0..1) by linear interpolation between order statistics (numpy's default).
/// NaNs are skipped; an empty input gives NaN. Sorts a copy.
[[nodiscard]] double quantile(std::span<const double> values, double q);

/// Wilson score interval for `successes` out of `n` at 95% confidence.
struct Interval {
  double low = 0;
  double high = 0;
};
[[nodiscard]] Interval wilson_interval(std::size_t successes, std::size_t n);

}  // namespace promptbench
