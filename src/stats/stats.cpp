// SPDX-License-Identifier: Apache-2.0
// Descriptive statistics: summary with a Student t interval, quantiles, Wilson intervals.
#include "promptbench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <vector>

namespace promptbench {

namespace {

/// z for a two-sided 95% interval: the 0.975 quantile of the standard normal.
constexpr double kZ95 = 1.959963984540054;

std::vector<double> without_nan(std::span<const double> values) {
  std::vector<double> kept;
  kept.reserve(values.size());
  std::copy_if(values.begin(), values.end(), std::back_inserter(kept),
               [](double value) { return !std::isnan(value); });
  return kept;
}

/// Continued fraction for the incomplete beta function, evaluated with the modified Lentz
/// method (Numerical Recipes, 3rd ed., §6.4 "betacf"); converges fast for x < (a+1)/(a+b+2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-15;
  double c = 1;
  double d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::abs(d) < kTiny ? kTiny : d);
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    const double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 / (std::abs(1 + even * d) < kTiny ? kTiny : 1 + even * d);
    c = std::abs(1 + even / c) < kTiny ? kTiny : 1 + even / c;
    h *= d * c;
    const double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 / (std::abs(1 + odd * d) < kTiny ? kTiny : 1 + odd * d);
    c = std::abs(1 + odd / c) < kTiny ? kTiny : 1 + odd / c;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) {
      break;
    }
  }
  return h;
}

/// The regularized incomplete beta function I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  // The fraction converges only on one side of the mean; use the symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) {
    return front * beta_continued_fraction(a, b, x) / a;
  }
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

/// P(T <= t) for Student's t with `df` degrees of freedom, t >= 0.
double student_t_cdf(double t, double df) {
  return 1 - 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

/// The p-quantile of Student's t for 0.5 <= p < 1, by bisection on the CDF: slow-ish (a few
/// hundred beta evaluations) but exact to double precision and called once per summary.
double student_t_quantile(double p, double df) {
  double low = 0;
  double high = 1;
  while (student_t_cdf(high, df) < p) {
    low = high;
    high *= 2;
  }
  for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
    const double mid = (low + high) / 2;
    if (student_t_cdf(mid, df) < p) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return (low + high) / 2;
}

}  // namespace

Summary summarize(std::span<const double> values) {
  const std::vector<double> kept = without_nan(values);
  Summary summary;
  summary.n = kept.size();
  if (kept.empty()) {
    return summary;
  }
  const auto n = static_cast<double>(kept.size());
  double sum = 0;
  for (double value : kept) {
    sum += value;
  }
  summary.mean = sum / n;
  summary.ci_low = summary.mean;
  summary.ci_high = summary.mean;
  if (kept.size() == 1) {
    return summary;
  }
  double squares = 0;  // two passes: the one-pass formula loses precision on large means
  for (double value : kept) {
    squares += (value - summary.mean) * (value - summary.mean);
  }
  summary.stddev = std::sqrt(squares / (n - 1));
  summary.stderr_ = summary.stddev / std::sqrt(n);
  const double half_width = student_t_quantile(0.975, n - 1) * summary.stderr_;
  summary.ci_low = summary.mean - half_width;
  summary.ci_high = summary.mean + half_width;
  return summary;
}

double quantile(std::span<const double> values, double q) {
  std::vector<double> sorted = without_nan(values);
  if (sorted.empty() || !(q >= 0 && q <= 1)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::sort(sorted.begin(), sorted.end());
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  if (below + 1 >= sorted.size()) {
    return sorted.back();
  }
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[below + 1] - sorted[below]);
}

Interval wilson_interval(std::size_t successes, std::size_t n) {
  if (n == 0) {
    return {};
  }
  const auto trials = static_cast<double>(n);
  const double p = static_cast<double>(std::min(successes, n)) / trials;
  const double z2 = kZ95 * kZ95;
  const double denominator = 1 + z2 / trials;
  const double center = (p + z2 / (2 * trials)) / denominator;
  const double half_width =
      kZ95 / denominator * std::sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials));
  // With no successes the lower end is exactly 0, with no failures the upper end exactly 1;
  // computed, they come out a rounding error away (3.5e-18 for 0 of 65), which reports would
  // print as such.
  const double low = successes == 0 ? 0.0 : std::max(0.0, center - half_width);
  const double high = successes >= n ? 1.0 : std::min(1.0, center + half_width);
  return {low, high};
}

}  // namespace promptbench
