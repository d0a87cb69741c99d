// SPDX-License-Identifier: Apache-2.0
// Bootstrap intervals and the specified random numbers behind them, against the independent
// re-implementation in tests/unit/stats/reference.py (pure Python; its output pasted below).
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "unit/stats/nan.hpp"

#include "promptbench/stats.hpp"
#include "stats/random.hpp"

namespace promptbench {
namespace {

using test::kNaN;

/// reference.py's SCORES_30: ((i * 37) % 101) / 100 for i in 0..29.
std::vector<double> scores_30() {
  std::vector<double> values;
  for (int i = 0; i < 30; ++i) {
    values.push_back(static_cast<double>((i * 37) % 101) / 100);
  }
  return values;
}

TEST(SpecifiedRandom, IsTheStandardMersenneTwister) {
  // reference.py: MT19937_64(42) first three outputs.
  stats::SpecifiedRandom random(42);
  EXPECT_EQ(random.next(), 13930160852258120406ULL);
  EXPECT_EQ(random.next(), 11788048577503494824ULL);
  EXPECT_EQ(random.next(), 13874630024467741450ULL);
}

TEST(SpecifiedRandom, DrawsIndicesByLemiresMethod) {
  // reference.py: below(10) x 10 with seed 7.
  stats::SpecifiedRandom random(7);
  std::vector<std::uint64_t> drawn;
  for (int i = 0; i < 10; ++i) {
    drawn.push_back(random.below(10));
  }
  EXPECT_EQ(drawn, (std::vector<std::uint64_t>{7, 9, 1, 8, 1, 0, 8, 9, 2, 7}));
}

TEST(SpecifiedRandom, RejectsTheIncompleteTopBlock) {
  // n = 2^63 + 1: 2^64 mod n = 2^63 - 1, so about half the draws are rejected.
  // reference.py: below(2^63 + 1) x 3, seed 1.
  stats::SpecifiedRandom random(1);
  const std::uint64_t n = (std::uint64_t{1} << 63) + 1;
  EXPECT_EQ(random.below(n), 686449833434195332ULL);
  EXPECT_EQ(random.below(n), 5255912256620343424ULL);
  EXPECT_EQ(random.below(n), 5858973855932104712ULL);
}

TEST(BootstrapMeanInterval, MatchesTheIndependentComputation) {
  // reference.py: bootstrap SCORES_30 seed 0 x 2000 -> (0.3776666666666666, 0.5836916666666665)
  //               bootstrap SCORES_30 seed 3 x 2000 -> (0.3816583333333333, 0.5813333333333334)
  const std::vector<double> values = scores_30();
  const Interval seed0 = bootstrap_mean_interval(values, {0, 2000});
  EXPECT_NEAR(seed0.low, 0.3776666666666666, 1e-12);
  EXPECT_NEAR(seed0.high, 0.5836916666666665, 1e-12);
  const Interval seed3 = bootstrap_mean_interval(values, {3, 2000});
  EXPECT_NEAR(seed3.low, 0.3816583333333333, 1e-12);
  EXPECT_NEAR(seed3.high, 0.5813333333333334, 1e-12);
}

TEST(BootstrapMeanInterval, IsDeterministicForASeed) {
  const std::vector<double> values = scores_30();
  const Interval first = bootstrap_mean_interval(values, {11});
  const Interval second = bootstrap_mean_interval(values, {11});
  EXPECT_EQ(first.low, second.low);
  EXPECT_EQ(first.high, second.high);
  const Interval other = bootstrap_mean_interval(values, {12});
  EXPECT_TRUE(other.low != first.low || other.high != first.high);
}

TEST(BootstrapMeanInterval, AgreesWithTheTIntervalForALargeSample) {
  // For 2000 values the bootstrap distribution of the mean is close to normal: both
  // intervals agree to well under a tenth of their width.
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) {
    values.push_back(static_cast<double>((i * 7919) % 1000) / 1000);
  }
  const Summary t = summarize(values);
  const Interval bootstrap = bootstrap_mean_interval(values);
  const double width = t.ci_high - t.ci_low;
  EXPECT_NEAR(bootstrap.low, t.ci_low, 0.05 * width);
  EXPECT_NEAR(bootstrap.high, t.ci_high, 0.05 * width);
}

TEST(BootstrapMeanInterval, FallsBackToTheTIntervalBeyondTheWorkBound) {
  const std::vector<double> values = scores_30();
  const Interval bounded = bootstrap_mean_interval(values, {0, 1000, 29'000});
  const Summary t = summarize(values);
  EXPECT_EQ(bounded.low, t.ci_low);
  EXPECT_EQ(bounded.high, t.ci_high);
}

TEST(BootstrapMeanInterval, HandlesDegenerateInputs) {
  const Interval none = bootstrap_mean_interval(std::vector<double>{kNaN});
  EXPECT_TRUE(std::isnan(none.low));
  EXPECT_TRUE(std::isnan(none.high));
  const Interval one = bootstrap_mean_interval(std::vector<double>{0.25, kNaN});
  EXPECT_EQ(one.low, 0.25);
  EXPECT_EQ(one.high, 0.25);
  const Interval constant = bootstrap_mean_interval(std::vector<double>{3, 3, 3});
  EXPECT_EQ(constant.low, 3);
  EXPECT_EQ(constant.high, 3);
}

TEST(PairedBootstrapInterval, IsTheIntervalOfTheDifferencesOfCompletePairs) {
  const std::vector<double> baseline = {1, 2, kNaN, 4, 0.5};
  const std::vector<double> variant = {2, 2.5, 7, kNaN, 1.5};
  const Interval paired = paired_bootstrap_interval(baseline, variant, {5, 500});
  const Interval direct = bootstrap_mean_interval(std::vector<double>{1, 0.5, 1}, {5, 500});
  EXPECT_EQ(paired.low, direct.low);
  EXPECT_EQ(paired.high, direct.high);
  EXPECT_GE(paired.low, 0.5);
  EXPECT_LE(paired.high, 1);
}

TEST(PairedBootstrapInterval, RejectsVectorsOfDifferentLengths) {
  EXPECT_THROW((void)paired_bootstrap_interval(std::vector<double>{1, 2}, std::vector<double>{1}),
               std::invalid_argument);
}

}  // namespace
}  // namespace promptbench
