// SPDX-License-Identifier: Apache-2.0
// Paired significance tests -- exact McNemar, sign-flip permutation -- and Holm's correction.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "promptbench/stats.hpp"
#include "stats/random.hpp"

namespace promptbench {

namespace {

/// Differences this close to the observed statistic (relative to the sum of |d|) count as
/// equally extreme: sums of the same numbers in another order differ in the last bits.
constexpr double kTieTolerance = 1e-9;

/// All 2^k signed sums of `values` (bit i of the pattern set = minus sign on values[i]).
std::vector<double> signed_sums(std::span<const double> values) {
  std::vector<double> sums(std::size_t{1} << values.size());
  for (std::size_t pattern = 0; pattern < sums.size(); ++pattern) {
    double sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      sum += (pattern >> i & 1U) != 0 ? -values[i] : values[i];
    }
    sums[pattern] = sum;
  }
  return sums;
}

/// Exact: the fraction of all 2^n sign patterns whose |sum| reaches `threshold`. Meet in the
/// middle: every pattern is a pattern of the first half plus one of the second, so counting
/// second-half sums outside (-threshold - a, threshold - a) for each first-half sum a takes
/// 2^(n/2) log time instead of 2^n.
double exact_sign_flip_p(const std::vector<double>& d, double threshold) {
  const std::size_t half = d.size() / 2;
  const std::vector<double> first = signed_sums(std::span(d).first(half));
  std::vector<double> second = signed_sums(std::span(d).subspan(half));
  std::sort(second.begin(), second.end());
  std::uint64_t extreme = 0;
  for (double a : first) {
    // a + b >= threshold  <=>  b >= threshold - a;  a + b <= -threshold  <=>  b <= -threshold - a
    const auto high = std::lower_bound(second.begin(), second.end(), threshold - a);
    const auto low = std::upper_bound(second.begin(), second.end(), -threshold - a);
    extreme += static_cast<std::uint64_t>(second.end() - high);
    extreme += static_cast<std::uint64_t>(low - second.begin());
    if (low > high) {  // threshold <= 0 cannot happen (observed sum is non-zero), but be safe
      extreme -= static_cast<std::uint64_t>(low - high);
    }
  }
  return static_cast<double>(extreme) / std::ldexp(1.0, static_cast<int>(d.size()));
}

double monte_carlo_sign_flip_p(const std::vector<double>& d, double threshold,
                               const ResampleOptions& options) {
  stats::SpecifiedRandom random(options.seed);
  std::uint64_t extreme = 0;
  for (std::size_t r = 0; r < options.resamples; ++r) {
    double sum = 0;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (i % 64 == 0) {
        bits = random.next();
      }
      sum += (bits >> (i % 64) & 1U) != 0 ? -d[i] : d[i];
    }
    extreme += std::abs(sum) >= threshold ? 1 : 0;
  }
  return static_cast<double>(extreme + 1) / static_cast<double>(options.resamples + 1);
}

}  // namespace

double mcnemar_exact_p(std::size_t b, std::size_t c) {
  const std::size_t n = b + c;
  const std::size_t k = std::min(b, c);
  if (n == 0 || 2 * k == n) {
    return 1;
  }
  // P(X <= k) for X ~ Binomial(n, 1/2): the terms C(n, i) / 2^n grow with i up to k < n/2,
  // so sum them relative to the last (largest) one in log space, which never underflows.
  std::vector<double> log_terms(k + 1);
  log_terms[0] = -static_cast<double>(n) * std::log(2.0);
  for (std::size_t i = 0; i < k; ++i) {
    log_terms[i + 1] =
        log_terms[i] + std::log(static_cast<double>(n - i)) - std::log(static_cast<double>(i + 1));
  }
  double scaled = 0;
  for (double log_term : log_terms) {
    scaled += std::exp(log_term - log_terms[k]);
  }
  return std::min(1.0, 2 * scaled * std::exp(log_terms[k]));
}

double sign_flip_permutation_p(std::span<const double> differences,
                               const ResampleOptions& options) {
  std::vector<double> d;
  for (double value : differences) {
    if (!std::isnan(value) && value != 0) {
      d.push_back(value);
    }
  }
  if (d.empty()) {
    return 1;
  }
  double observed = 0;
  double scale = 0;
  double squares = 0;
  for (double value : d) {
    observed += value;
    scale += std::abs(value);
    squares += value * value;
  }
  const double threshold = std::abs(observed) - kTieTolerance * scale;
  if (d.size() <= kExactPermutationLimit) {
    return exact_sign_flip_p(d, threshold);
  }
  if (options.resamples == 0 || d.size() > options.max_draws / options.resamples) {
    // The permutation distribution of the sum has mean 0 and variance sum(d^2) and is
    // normal in the limit; this many differences are deep in the limit.
    return std::min(1.0, std::erfc(std::abs(observed) / std::sqrt(2 * squares)));
  }
  return monte_carlo_sign_flip_p(d, threshold, options);
}

std::vector<double> holm_adjust(std::span<const double> p_values) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    if (!std::isnan(p_values[i])) {
      order.push_back(i);
    }
  }
  // Stable, so equal p-values keep their input order and the result is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(p_values.begin(), p_values.end());
  const std::size_t m = order.size();
  double running = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const double scaled = static_cast<double>(m - j) * p_values[order[j]];
    running = std::max(running, std::min(1.0, scaled));
    adjusted[order[j]] = running;
  }
  return adjusted;
}

}  // namespace promptbench
