// SPDX-License-Identifier: Apache-2.0
// Tests of the descriptive statistics against published reference values.
#include "promptbench/stats.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "unit/stats/nan.hpp"

namespace promptbench {
namespace {

using test::kNaN;

/// The t multiplier summarize uses for n values: (ci_high - mean) / stderr.
double t_multiplier(std::size_t n) {
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) {
    values[i] = static_cast<double>(i % 2);
  }
  const Summary summary = summarize(values);
  return (summary.ci_high - summary.mean) / summary.stderr_;
}

TEST(Summarize, GivesZerosForNoValues) {
  const Summary summary = summarize({});
  EXPECT_EQ(summary.n, 0u);
  EXPECT_EQ(summary.mean, 0);
  EXPECT_EQ(summary.stddev, 0);
  EXPECT_EQ(summary.stderr_, 0);
  EXPECT_EQ(summary.ci_low, 0);
  EXPECT_EQ(summary.ci_high, 0);
}

TEST(Summarize, GivesAPointIntervalForOneValue) {
  const std::vector<double> values = {0.75};
  const Summary summary = summarize(values);
  EXPECT_EQ(summary.n, 1u);
  EXPECT_EQ(summary.mean, 0.75);
  EXPECT_EQ(summary.stddev, 0);
  EXPECT_EQ(summary.stderr_, 0);
  EXPECT_EQ(summary.ci_low, 0.75);
  EXPECT_EQ(summary.ci_high, 0.75);
}

TEST(Summarize, SkipsNaN) {
  const std::vector<double> values = {kNaN, 1, kNaN, 3};
  const Summary summary = summarize(values);
  EXPECT_EQ(summary.n, 2u);
  EXPECT_EQ(summary.mean, 2);
}

TEST(Summarize, GivesSampleStatisticsAndATInterval) {
  // By hand: mean 2.5; sample variance (2.25+0.25+0.25+2.25)/3 = 5/3; stddev sqrt(5/3);
  // stderr stddev/2; t(0.975, 3) = 3.182 (NIST/SEMATECH e-Handbook §1.3.6.7.2).
  const std::vector<double> values = {1, 2, 3, 4};
  const Summary summary = summarize(values);
  EXPECT_EQ(summary.n, 4u);
  EXPECT_DOUBLE_EQ(summary.mean, 2.5);
  EXPECT_NEAR(summary.stddev, 1.2909944, 1e-7);
  EXPECT_NEAR(summary.stderr_, 0.6454972, 1e-7);
  EXPECT_NEAR(summary.ci_low, 2.5 - 3.182 * 0.6454972, 1e-3);
  EXPECT_NEAR(summary.ci_high, 2.5 + 3.182 * 0.6454972, 1e-3);
}

TEST(Summarize, UsesStudentTQuantilesFromTheTables) {
  // Two-sided 95% critical values, NIST/SEMATECH e-Handbook §1.3.6.7.2: df 1 -> 12.706,
  // df 10 -> 2.228, df 30 -> 2.042, df 100 -> 1.984; df 1000 -> 1.962 (tables listing it,
  // e.g. R's qt(0.975, 1000) = 1.962339).
  EXPECT_NEAR(t_multiplier(2), 12.706, 5e-4);
  EXPECT_NEAR(t_multiplier(11), 2.228, 5e-4);
  EXPECT_NEAR(t_multiplier(31), 2.042, 5e-4);
  EXPECT_NEAR(t_multiplier(101), 1.984, 5e-4);
  EXPECT_NEAR(t_multiplier(1001), 1.9623, 5e-4);
}

TEST(Summarize, ApproachesTheNormalQuantileForLargeSamples) {
  EXPECT_NEAR(t_multiplier(100001), 1.959964, 1e-4);
}

TEST(Summarize, KeepsPrecisionForLargeMeans) {
  const std::vector<double> values = {1e9 + 1, 1e9 + 2, 1e9 + 3};
  EXPECT_DOUBLE_EQ(summarize(values).stddev, 1);
}

TEST(Quantile, InterpolatesLinearlyLikeNumpy) {
  // numpy.quantile's default 'linear' method: position q*(n-1) between order statistics.
  // [1,2,3,4] at 0.5: position 1.5 -> 2.5. [1..10] at 0.9: position 8.1 -> 9 + 0.1 = 9.1.
  EXPECT_DOUBLE_EQ(quantile(std::vector<double>{1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_NEAR(quantile(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9), 9.1, 1e-12);
  // [1,2,3,4] at 0.25: position 0.75 -> 1.75.
  EXPECT_DOUBLE_EQ(quantile(std::vector<double>{1, 2, 3, 4}, 0.25), 1.75);
}

TEST(Quantile, SortsItsInput) {
  // numpy's percentile docs: a = [[10, 7, 4], [3, 2, 1]]; np.percentile(a, 50) -> 3.5.
  EXPECT_DOUBLE_EQ(quantile(std::vector<double>{10, 7, 4, 3, 2, 1}, 0.5), 3.5);
}

TEST(Quantile, GivesTheExtremesAtZeroAndOne) {
  const std::vector<double> values = {5, 1, 9, 3};
  EXPECT_EQ(quantile(values, 0), 1);
  EXPECT_EQ(quantile(values, 1), 9);
  EXPECT_EQ(quantile(std::vector<double>{4}, 0.3), 4);
}

TEST(Quantile, SkipsNaN) {
  EXPECT_EQ(quantile(std::vector<double>{1, kNaN, 3}, 0.5), 2);
}

TEST(Quantile, GivesNaNForNoValuesOrAnOutOfRangeQ) {
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
  EXPECT_TRUE(std::isnan(quantile(std::vector<double>{kNaN}, 0.5)));
  EXPECT_TRUE(std::isnan(quantile(std::vector<double>{1, 2}, 1.5)));
  EXPECT_TRUE(std::isnan(quantile(std::vector<double>{1, 2}, kNaN)));
}

TEST(WilsonInterval, MatchesNewcombesWorkedExamples) {
  // Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
  // methods", Statistics in Medicine 17 (1998) 857-872, method 3 (score, no continuity
  // correction): 81/263 -> 0.2553-0.3662, 15/148 -> 0.0624-0.1605, 0/20 -> 0-0.1611,
  // 1/29 -> 0.0061-0.1718, 29/29 -> 0.8830-1.
  struct Case {
    std::size_t successes, n;
    double low, high;
  };
  for (const Case& c :
       {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605}, Case{0, 20, 0, 0.1611},
        Case{1, 29, 0.0061, 0.1718}, Case{29, 29, 0.8830, 1}}) {
    const Interval interval = wilson_interval(c.successes, c.n);
    EXPECT_NEAR(interval.low, c.low, 5e-5) << c.successes << "/" << c.n;
    EXPECT_NEAR(interval.high, c.high, 5e-5) << c.successes << "/" << c.n;
  }
}

TEST(WilsonInterval, HasTheClosedFormUpperEndForNoSuccesses) {
  // With p = 0 the upper end is z^2 / (n + z^2): 3.8415 / 13.8415 = 0.2775 for n = 10.
  const Interval interval = wilson_interval(0, 10);
  EXPECT_EQ(interval.low, 0);
  EXPECT_NEAR(interval.high, 0.2775, 5e-5);
}

TEST(WilsonInterval, EndsExactlyAtZeroAndOneForNoSuccessesOrNoFailures) {
  // Computed, 0 of 65 gave a lower end of 3.5e-18, which a report printed as such.
  for (std::size_t n = 1; n <= 1000; ++n) {
    EXPECT_EQ(wilson_interval(0, n).low, 0) << "0 of " << n;
    EXPECT_EQ(wilson_interval(n, n).high, 1) << n << " of " << n;
    EXPECT_GT(wilson_interval(0, n).high, 0) << "0 of " << n;
    EXPECT_LT(wilson_interval(n, n).low, 1) << n << " of " << n;
  }
}

TEST(WilsonInterval, StaysWithinZeroAndOne) {
  const Interval all = wilson_interval(10, 10);
  EXPECT_LE(all.high, 1);
  EXPECT_NEAR(all.low, 1 - 0.2775, 5e-5);
}

TEST(WilsonInterval, GivesZerosForNoTrials) {
  const Interval interval = wilson_interval(0, 0);
  EXPECT_EQ(interval.low, 0);
  EXPECT_EQ(interval.high, 0);
}

}  // namespace
}  // namespace promptbench
