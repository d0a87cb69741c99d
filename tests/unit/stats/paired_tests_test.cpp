// SPDX-License-Identifier: Apache-2.0
// Exact McNemar, the sign-flip permutation test and Holm's correction against known values:
// exact binomial tails and brute-force enumerations from tests/unit/stats/reference.py (pure
// Python, math.comb and fractions; its output pasted below), Fisher's analysis of Darwin's
// data and the textbook Holm example.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "unit/stats/nan.hpp"

#include "promptbench/stats.hpp"

namespace promptbench {
namespace {

using test::kNaN;

TEST(McNemarExact, MatchesExactBinomialTails) {
  // reference.py: 2 * sum(comb(b + c, i) for i <= min(b, c)) / 2^(b + c), capped at 1.
  struct Case {
    std::size_t b, c;
    double p;
  };
  for (const Case& k :
       {Case{0, 0, 1.0}, Case{0, 1, 1.0}, Case{1, 9, 0.021484375}, Case{2, 8, 0.109375},
        Case{5, 5, 1.0}, Case{3, 12, 0.03515625}, Case{10, 25, 0.01667384780012071},
        Case{40, 60, 0.05688793364098079}, Case{400, 500, 0.0009564441369189461},
        Case{0, 1000, 1.8665272370064378e-301}}) {
    EXPECT_NEAR(mcnemar_exact_p(k.b, k.c), k.p, 1e-10 * k.p) << "b=" << k.b << " c=" << k.c;
  }
}

TEST(McNemarExact, IsSymmetricInTheDiscordantCounts) {
  EXPECT_EQ(mcnemar_exact_p(3, 12), mcnemar_exact_p(12, 3));
  EXPECT_EQ(mcnemar_exact_p(400, 500), mcnemar_exact_p(500, 400));
}

TEST(SignFlipPermutation, ReproducesFishersExactTestOnDarwinsData) {
  // Darwin's Zea mays, cross- minus self-fertilised heights in eighths of an inch (Fisher,
  // The Design of Experiments, 1935, §21): 1726 of the 2^15 sign patterns are at least as
  // extreme, p = 0.05267 (reference.py enumerates them: 0.05267333984375).
  const std::vector<double> darwin = {49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48};
  EXPECT_DOUBLE_EQ(sign_flip_permutation_p(darwin), 1726.0 / 32768.0);
}

TEST(SignFlipPermutation, EnumeratesExactlyAndDropsZerosAndNaN) {
  // reference.py: exact sign flip DIFFS_12 (10 non-zero) -> 0.029296875 = 30 / 1024.
  const std::vector<double> diffs = {0.5,  -0.25, 1.0,  0.75, 0.0,  0.5,
                                     -0.5, 1.25,  0.25, 0.0,  0.75, 1.0};
  EXPECT_DOUBLE_EQ(sign_flip_permutation_p(diffs), 0.029296875);
  std::vector<double> with_nan = diffs;
  with_nan.push_back(kNaN);
  EXPECT_DOUBLE_EQ(sign_flip_permutation_p(with_nan), 0.029296875);
}

TEST(SignFlipPermutation, CountsTiesAsExtreme) {
  // {1, 1, -1, -1}: observed sum 0, so every pattern is as extreme.
  EXPECT_EQ(sign_flip_permutation_p(std::vector<double>{1, 1, -1, -1}), 1);
  // {0.1, 0.2, 0.3}: the sums 0.6 = 0.1 + 0.2 + 0.3 in any order; only +++ and --- reach it.
  EXPECT_DOUBLE_EQ(sign_flip_permutation_p(std::vector<double>{0.1, 0.2, 0.3}), 0.25);
}

TEST(SignFlipPermutation, GivesOneWithoutNonZeroDifferences) {
  EXPECT_EQ(sign_flip_permutation_p(std::vector<double>{}), 1);
  EXPECT_EQ(sign_flip_permutation_p(std::vector<double>{0, 0, kNaN}), 1);
}

std::vector<double> diffs_40() {
  std::vector<double> d;
  for (int i = 0; i < 40; ++i) {
    d.push_back(static_cast<double>((i * 53) % 17 - 6) / 8);
  }
  return d;
}

TEST(SignFlipPermutation, SamplesWithASeedBeyondTheExactLimit) {
  // reference.py: monte carlo DIFFS_40 seed 0 x 2000 -> 0.057971014492753624 (= 116 / 2001),
  //               seed 9 x 2000 -> 0.05297351324337831 (= 106 / 2001).
  EXPECT_DOUBLE_EQ(sign_flip_permutation_p(diffs_40(), {0, 2000}), 116.0 / 2001.0);
  EXPECT_DOUBLE_EQ(sign_flip_permutation_p(diffs_40(), {9, 2000}), 106.0 / 2001.0);
}

TEST(SignFlipPermutation, MonteCarloAgreesWithTheNormalLimit) {
  // Beyond the work bound the normal approximation is used; with 10000 permutations the two
  // agree within Monte Carlo error (sd of p near 0.05 is about 0.002).
  const double sampled = sign_flip_permutation_p(diffs_40());
  const double normal = sign_flip_permutation_p(diffs_40(), {0, 10'000, 1});
  EXPECT_NEAR(sampled, normal, 0.01);
  EXPECT_GT(sampled, 0.03);
  EXPECT_LT(sampled, 0.08);
}

TEST(HolmAdjust, MatchesTheTextbookExample) {
  // Holm (1979) as in R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
  // (reference.py prints the same).
  const std::vector<double> adjusted = holm_adjust(std::vector<double>{0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.03);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.06);
  EXPECT_DOUBLE_EQ(adjusted[3], 0.02);
}

TEST(HolmAdjust, IsMonotoneAndCappedAtOne) {
  const std::vector<double> adjusted = holm_adjust(std::vector<double>{0.3, 0.2, 0.6, 0.01});
  // Sorted 0.01, 0.2, 0.3, 0.6 times 4, 3, 2, 1: 0.04, 0.6, 0.6, 0.6 (running maximum).
  EXPECT_DOUBLE_EQ(adjusted[3], 0.04);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.6);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.6);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.6);
  const std::vector<double> capped = holm_adjust(std::vector<double>{0.5, 0.9});
  EXPECT_EQ(capped[0], 1);
  EXPECT_EQ(capped[1], 1);
}

TEST(HolmAdjust, LeavesNaNOutOfTheFamily) {
  const std::vector<double> adjusted = holm_adjust(std::vector<double>{0.01, kNaN, 0.02});
  EXPECT_DOUBLE_EQ(adjusted[0], 0.02);
  EXPECT_TRUE(std::isnan(adjusted[1]));
  EXPECT_DOUBLE_EQ(adjusted[2], 0.02);
}

}  // namespace
}  // namespace promptbench
