// SPDX-License-Identifier: Apache-2.0
// One paired comparison and a family of them: the test chosen, the numbers, Holm, verdicts.
#include "promptbench/comparison.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "unit/stats/nan.hpp"

namespace promptbench {
namespace {

using test::kNaN;

/// 30 cases: the baseline passes 10 (cases 0-9), the variant 19 (cases 0-8 and 12-21): one
/// case only the baseline passes (9), ten only the variant (12-21), McNemar b=1, c=10.
PairedScores pass_fail_scores() {
  PairedScores s;
  s.metric = "exact_match";
  s.baseline = "terse/local";
  s.variant = "chat/local";
  for (int i = 0; i < 30; ++i) {
    s.baseline_scores.push_back(i < 10 ? 1 : 0);
    s.variant_scores.push_back(i < 9 || (i >= 12 && i < 22) ? 1 : 0);
  }
  s.pass_fail = is_pass_fail(s.baseline_scores, s.variant_scores);
  return s;
}

TEST(ComparePaired, UsesExactMcNemarForPassFailScores) {
  const PairedScores scores = pass_fail_scores();
  ASSERT_TRUE(scores.pass_fail);
  const Comparison c = compare_paired(scores);
  EXPECT_EQ(c.metric, "exact_match");
  EXPECT_EQ(c.baseline, "terse/local");
  EXPECT_EQ(c.variant, "chat/local");
  EXPECT_EQ(c.n, 30u);
  EXPECT_EQ(c.test, "mcnemar_exact");
  EXPECT_DOUBLE_EQ(c.mean_diff, 9.0 / 30.0);
  // 2 * (1 + 11) / 2^11, by hand (and mcnemar_exact_p's tests).
  EXPECT_DOUBLE_EQ(c.p_value, 24.0 / 2048.0);
  EXPECT_EQ(c.p_adjusted, c.p_value);
  EXPECT_EQ(c.verdict, Verdict::better);
  EXPECT_LT(c.ci95.low, c.mean_diff);
  EXPECT_GT(c.ci95.high, c.mean_diff);
  EXPECT_GT(c.ci95.low, 0);
  // The interval is the paired bootstrap of the differences with the same seed.
  const Interval direct =
      paired_bootstrap_interval(scores.baseline_scores, scores.variant_scores, {});
  EXPECT_EQ(c.ci95.low, direct.low);
  EXPECT_EQ(c.ci95.high, direct.high);
}

TEST(ComparePaired, CallsALowerScoreBetterWhenLowerIsBetter) {
  PairedScores scores = pass_fail_scores();
  scores.higher_is_better = false;
  EXPECT_EQ(compare_paired(scores).verdict, Verdict::worse);
  std::swap(scores.baseline_scores, scores.variant_scores);
  EXPECT_EQ(compare_paired(scores).verdict, Verdict::better);
}

TEST(ComparePaired, UsesThePermutationTestForContinuousScores) {
  // Darwin's differences as variant - baseline: p = 1726 / 32768 > 0.05.
  const std::vector<double> darwin = {49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48};
  PairedScores scores;
  scores.metric = "latency";
  scores.higher_is_better = false;
  for (double d : darwin) {
    scores.baseline_scores.push_back(100);
    scores.variant_scores.push_back(100 + d);
  }
  scores.pass_fail = is_pass_fail(scores.baseline_scores, scores.variant_scores);
  EXPECT_FALSE(scores.pass_fail);
  const Comparison c = compare_paired(scores);
  EXPECT_EQ(c.test, "permutation");
  EXPECT_DOUBLE_EQ(c.p_value, 1726.0 / 32768.0);
  EXPECT_NEAR(c.mean_diff, 314.0 / 15.0, 1e-12);
  EXPECT_EQ(c.verdict, Verdict::no_significant_difference);
  ComparisonOptions lenient;
  lenient.alpha = 0.1;
  EXPECT_EQ(compare_paired(scores, lenient).verdict, Verdict::worse);  // higher latency
}

TEST(ComparePaired, SkipsPairsWithAMissingScore) {
  PairedScores scores = pass_fail_scores();
  scores.baseline_scores[0] = kNaN;
  scores.variant_scores[12] = kNaN;
  const Comparison c = compare_paired(scores);
  EXPECT_EQ(c.n, 28u);
  EXPECT_DOUBLE_EQ(c.p_value, mcnemar_exact_p(1, 9));
}

TEST(ComparePaired, ReportsNoDataAsNoPairedCasesNeverAsNoDifference) {
  PairedScores scores;
  scores.baseline_scores = {kNaN, 1};
  scores.variant_scores = {0, kNaN};
  const Comparison c = compare_paired(scores);
  EXPECT_EQ(c.n, 0u);
  EXPECT_TRUE(std::isnan(c.mean_diff));
  EXPECT_EQ(c.p_value, 1);
  EXPECT_EQ(c.verdict, Verdict::no_paired_cases);
  const nlohmann::ordered_json json = to_json(c);
  EXPECT_EQ(json["verdict"], "no_paired_cases");
  EXPECT_TRUE(json["mean_diff"].is_null());
  EXPECT_TRUE(json["ci95"][0].is_null());
}

TEST(ComparePaired, HonoursTheMinimumEffect) {
  ComparisonOptions options;
  options.min_effect = 0.5;  // the difference is 0.3
  EXPECT_EQ(compare_paired(pass_fail_scores(), options).verdict,
            Verdict::no_significant_difference);
}

TEST(ComparePaired, RejectsVectorsOfDifferentLengths) {
  PairedScores scores;
  scores.baseline_scores = {1, 0};
  scores.variant_scores = {1};
  EXPECT_THROW((void)compare_paired(scores), std::invalid_argument);
}

TEST(CompareAll, AdjustsWithHolmAndDecidesOnTheAdjustedPValue) {
  // Three comparisons: p = 24/2048 = 0.0117 twice (the same data) and one with no data.
  // Holm over the two with data: 2 * 0.0117 = 0.0234 for both; the empty one is left out.
  PairedScores empty;
  empty.baseline_scores = {kNaN};
  empty.variant_scores = {kNaN};
  const std::vector<Comparison> family =
      compare_all({pass_fail_scores(), pass_fail_scores(), empty});
  ASSERT_EQ(family.size(), 3u);
  EXPECT_DOUBLE_EQ(family[0].p_adjusted, 2 * 24.0 / 2048.0);
  EXPECT_DOUBLE_EQ(family[1].p_adjusted, 2 * 24.0 / 2048.0);
  EXPECT_EQ(family[2].p_adjusted, 1);
  EXPECT_EQ(family[0].verdict, Verdict::better);
  // Five copies: 5 * 0.0117 = 0.0586 > 0.05 -- no longer significant after correction.
  const std::vector<Comparison> five =
      compare_all(std::vector<PairedScores>(5, pass_fail_scores()));
  for (const Comparison& c : five) {
    EXPECT_DOUBLE_EQ(c.p_adjusted, 5 * 24.0 / 2048.0);
    EXPECT_EQ(c.verdict, Verdict::no_significant_difference);
  }
}

TEST(CompareAll, IsDeterministicForASeed) {
  PairedScores scores;
  for (int i = 0; i < 60; ++i) {
    scores.baseline_scores.push_back(static_cast<double>((i * 37) % 101) / 100);
    scores.variant_scores.push_back(static_cast<double>((i * 41 + 7) % 101) / 100);
  }
  ComparisonOptions options;
  options.resample.seed = 3;
  const Comparison a = compare_paired(scores, options);
  const Comparison b = compare_paired(scores, options);
  EXPECT_EQ(a.p_value, b.p_value);
  EXPECT_EQ(a.ci95.low, b.ci95.low);
  EXPECT_EQ(a.ci95.high, b.ci95.high);
  EXPECT_EQ(a.test, "permutation");
}

TEST(ToJson, HasTheReportShape) {
  const nlohmann::ordered_json json = to_json(compare_paired(pass_fail_scores()));
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) {
    keys.push_back(key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"metric", "baseline", "variant", "n", "mean_diff",
                                            "ci95", "test", "p_value", "p_adjusted", "verdict",
                                            "higher_is_better"}));
  EXPECT_EQ(json["verdict"], "better");
  EXPECT_EQ(json["test"], "mcnemar_exact");
  EXPECT_EQ(json["n"], 30);
  EXPECT_EQ(json["ci95"].size(), 2u);
}

TEST(AlignByCaseId, PairsTheSharedIdsAndCountsTheRest) {
  const std::map<std::string, double> baseline = {{"a", 1}, {"b", 0}, {"c", 1}, {"e", 0.5}};
  const std::map<std::string, double> variant = {{"b", 1}, {"c", 1}, {"d", 0}, {"e", 0.25}};
  PairedScores scores;
  EXPECT_EQ(align_by_case_id(baseline, variant, scores), 2u);  // a and d
  EXPECT_EQ(scores.baseline_scores, (std::vector<double>{0, 1, 0.5}));
  EXPECT_EQ(scores.variant_scores, (std::vector<double>{1, 1, 0.25}));
}

TEST(VerdictNames, AreTheReportSpelling) {
  EXPECT_EQ(to_string(Verdict::better), "better");
  EXPECT_EQ(to_string(Verdict::worse), "worse");
  EXPECT_EQ(to_string(Verdict::no_significant_difference), "no_significant_difference");
}

}  // namespace
}  // namespace promptbench
