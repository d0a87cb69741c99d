// SPDX-License-Identifier: Apache-2.0
// Statistics over per-case scores (README "Statistics"): descriptive summaries, intervals,
// and the paired tests behind comparisons. Every random procedure is deterministic for a
// seed and reproducible on any platform (see ResampleOptions).
#pragma once

#include <cstddef>
#include <cstdint>
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

/// Settings of the resampling procedures (bootstrap intervals, Monte Carlo permutation
/// tests). The random numbers are fully specified, so results are identical on every
/// platform and standard library: the generator is std::mt19937_64 seeded with `seed`
/// (its output is fixed by the C++ standard); an index below n is Lemire's: the high 64 bits
/// of the 128-bit product x * n, drawing a new x while the low 64 bits are below 2^64 mod n;
/// a sign flip takes one bit of a 64-bit draw, least significant first, one draw per 64
/// signs. tests/unit/stats/reference.py re-implements all of it independently.
struct ResampleOptions {
  std::uint64_t seed = 0;
  std::size_t resamples = 10'000;  ///< bootstrap resamples; Monte Carlo permutations
  /// Work bound: when n x resamples exceeds it, a bootstrap interval becomes the Student t
  /// interval and a Monte Carlo permutation test the normal approximation of the same
  /// permutation distribution -- both what the resampling converges to for large n.
  std::size_t max_draws = 50'000'000;
};

/// Percentile bootstrap 95% interval of the mean: `resamples` resamples of n values drawn
/// with replacement, the 2.5% and 97.5% quantiles (as quantile()) of their means. NaNs are
/// skipped; no values gives {NaN, NaN}, one value or all equal gives a point interval.
[[nodiscard]] Interval bootstrap_mean_interval(std::span<const double> values,
                                               const ResampleOptions& options = {});

/// Paired bootstrap 95% interval of mean(variant - baseline) over the positions where both
/// have a value (NaN = missing): bootstrap_mean_interval of the differences. The spans must
/// have the same length (std::invalid_argument otherwise).
[[nodiscard]] Interval paired_bootstrap_interval(std::span<const double> baseline,
                                                 std::span<const double> variant,
                                                 const ResampleOptions& options = {});

/// Exact two-sided McNemar test from the discordant counts: b pairs where only the
/// baseline passed, c where only the variant passed. The binomial test of min(b, c) under
/// X ~ Binomial(b + c, 1/2): min(1, 2 P(X <= min(b, c))); b + c = 0 gives 1.
[[nodiscard]] double mcnemar_exact_p(std::size_t b, std::size_t c);

/// The largest number of non-zero differences for which the sign-flip permutation test
/// enumerates all 2^n sign patterns; above it the test samples them.
inline constexpr std::size_t kExactPermutationLimit = 20;

/// Two-sided paired sign-flip permutation test of "the mean difference is zero" on
/// per-pair differences (NaNs skipped; zeros carry no information and are dropped). The
/// statistic is |sum of differences|; ties within 1e-9 of its scale count as extreme.
/// Up to kExactPermutationLimit non-zero differences: exact, over all 2^n sign patterns.
/// Beyond: Monte Carlo with options.resamples random patterns, p = (1 + extreme) /
/// (1 + resamples), so p is never 0. No non-zero difference gives 1.
[[nodiscard]] double sign_flip_permutation_p(std::span<const double> differences,
                                             const ResampleOptions& options = {});

/// Holm-Bonferroni adjusted p-values, in the input's order: sorted ascending, the i-th
/// smallest (1-based) becomes max over j <= i of min(1, (m - j + 1) p_(j)). NaN entries
/// are not part of the family and stay NaN.
[[nodiscard]] std::vector<double> holm_adjust(std::span<const double> p_values);

}  // namespace promptbench
