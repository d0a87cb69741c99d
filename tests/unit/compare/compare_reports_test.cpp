// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/compare.hpp"
#include "promptbench/error.hpp"

namespace promptbench {
namespace {

using nlohmann::ordered_json;
using ::testing::HasSubstr;

/// case id -> the scores of its samples (one without repeats).
using Scores = std::map<std::string, std::vector<double>>;

/// A minimal report: one variant with one metric, a result per case and sample.
ordered_json make_report(const std::string& variant, const std::string& metric,
                         const Scores& scores, bool higher_is_better = true) {
  ordered_json cases = ordered_json::array();
  for (const auto& [id, samples] : scores) {
    ordered_json results = ordered_json::array();
    for (std::size_t r = 0; r < samples.size(); ++r) {
      ordered_json result = {{"variant", variant}, {"scores", {{metric, samples[r]}}}};
      if (samples.size() > 1) {
        result["repeat"] = r;
      }
      results.push_back(result);
    }
    cases.push_back({{"id", id}, {"reference", "x"}, {"results", results}});
  }
  return {
      {"schema_version", 1},
      {"run", {{"name", "t"}, {"complete", true}}},
      {"variants",
       {{{"id", variant},
         {"metrics", {{metric, {{"n", scores.size()}, {"higher_is_better", higher_is_better}}}}}}}},
      {"comparisons", ordered_json::array()},
      {"gates", ordered_json::array()},
      {"cases", cases}};
}

/// `n` cases "c0".."c{n-1}" scoring `value(i)`.
template <typename F>
Scores scores(std::size_t n, F value, std::size_t first = 0) {
  Scores out;
  for (std::size_t i = first; i < first + n; ++i) {
    out["c" + std::to_string(i)] = {value(i)};
  }
  return out;
}

ReportComparison compare(const ordered_json& base, const ordered_json& candidate,
                         const CompareOptions& options = {}) {
  const auto b = report_from_json(base, "base.json");
  const auto c = report_from_json(candidate, "head.json");
  return compare_reports(*b, *c, options);
}

std::string error_of(const ordered_json& base, const ordered_json& candidate,
                     const CompareOptions& options = {}) {
  try {
    (void)compare(base, candidate, options);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CompareReports, SignificantPassFailRegressionIsWorseByExactMcNemar) {
  // 40 cases all passing in base; the candidate fails 20 of them: b = 20, c = 0.
  const auto base = make_report("v", "exact_match", scores(40, [](std::size_t) { return 1.0; }));
  const auto head =
      make_report("v", "exact_match", scores(40, [](std::size_t i) { return i < 20 ? 0.0 : 1.0; }));
  const ReportComparison r = compare(base, head);
  ASSERT_EQ(r.comparisons.size(), 1u);
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.metric, "exact_match");
  EXPECT_EQ(c.baseline, "v");
  EXPECT_EQ(c.variant, "v");
  EXPECT_EQ(c.n, 40u);
  EXPECT_DOUBLE_EQ(c.mean_diff, -0.5);
  EXPECT_EQ(c.test, "mcnemar_exact");
  EXPECT_DOUBLE_EQ(c.p_value, 2 * std::pow(0.5, 20));
  EXPECT_EQ(c.verdict, Verdict::worse);
  EXPECT_TRUE(r.regressed());
  EXPECT_EQ(r.overlap.common, 40u);
  EXPECT_EQ(r.overlap.only_base, 0u);
}

TEST(CompareReports, FewDiscordantPairsAreNoSignificantDifference) {
  // b = 2 (only base passes), c = 1: p = 1.
  const auto base = make_report("v", "exact_match", scores(30, [](std::size_t i) {
                                  return i < 2 ? 1.0 : i == 2 ? 0.0 : 1.0;
                                }));
  const auto head =
      make_report("v", "exact_match", scores(30, [](std::size_t i) { return i < 2 ? 0.0 : 1.0; }));
  const ReportComparison r = compare(base, head);
  ASSERT_EQ(r.comparisons.size(), 1u);
  EXPECT_DOUBLE_EQ(r.comparisons[0].p_value, 1.0);
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::no_significant_difference);
  EXPECT_FALSE(r.regressed());
}

TEST(CompareReports, ContinuousScoresUseThePermutationTest) {
  const auto base = make_report(
      "v", "f1", scores(30, [](std::size_t i) { return 0.5 + 0.01 * static_cast<double>(i % 5); }));
  const auto head = make_report(
      "v", "f1", scores(30, [](std::size_t i) { return 0.8 + 0.01 * static_cast<double>(i % 3); }));
  const ReportComparison r = compare(base, head);
  ASSERT_EQ(r.comparisons.size(), 1u);
  EXPECT_EQ(r.comparisons[0].test, "permutation");
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::better);
  EXPECT_GT(r.comparisons[0].mean_diff, 0.25);
}

TEST(CompareReports, LowerIsBetterMetricsRegressUpwards) {
  const auto base = make_report(
      "v", "latency", scores(30, [](std::size_t i) { return 100.0 + static_cast<double>(i % 7); }),
      false);
  const auto head = make_report(
      "v", "latency", scores(30, [](std::size_t i) { return 150.0 + static_cast<double>(i % 5); }),
      false);
  const ReportComparison r = compare(base, head);
  EXPECT_EQ(r.comparisons[0].verdict, Verdict::worse);
  EXPECT_FALSE(r.comparisons[0].higher_is_better);
}

TEST(CompareReports, MinEffectKeepsSmallDifferencesFromCounting) {
  const auto base = make_report("v", "exact_match", scores(40, [](std::size_t) { return 1.0; }));
  const auto head =
      make_report("v", "exact_match", scores(40, [](std::size_t i) { return i < 20 ? 0.0 : 1.0; }));
  CompareOptions options;
  options.comparison.min_effect = 0.6;
  EXPECT_FALSE(compare(base, head, options).regressed());
  options.comparison.min_effect = 0.5;
  EXPECT_TRUE(compare(base, head, options).regressed());
}

TEST(CompareReports, RepeatsAreAveragedPerCaseFirst) {
  Scores base_scores;
  Scores head_scores;
  for (int i = 0; i < 12; ++i) {
    base_scores["c" + std::to_string(i)] = {1, 1, 1};
    head_scores["c" + std::to_string(i)] = {1, 0, 0};  // per-case mean 1/3
  }
  const ReportComparison r = compare(make_report("v", "exact_match", base_scores),
                                     make_report("v", "exact_match", head_scores));
  const Comparison& c = r.comparisons[0];
  EXPECT_EQ(c.n, 12u) << "a case is one pair, not three";
  EXPECT_NEAR(c.mean_diff, -2.0 / 3.0, 1e-12);
  EXPECT_EQ(c.test, "permutation") << "per-case means are not pass/fail";
  // 12 equal non-zero differences: exact sign-flip p = 2 / 2^12.
  EXPECT_DOUBLE_EQ(c.p_value, 2.0 / 4096.0);
  EXPECT_EQ(c.verdict, Verdict::worse);
}

TEST(CompareReports, ReportsTheOverlapOfMismatchedCaseSets) {
  const auto base = make_report("v", "m", scores(40, [](std::size_t) { return 1.0; }));
  const auto head = make_report("v", "m",
                                scores(
                                    40, [](std::size_t) { return 1.0; }, 25));
  CompareOptions options;
  options.min_overlap = 0.2;
  const ReportComparison r = compare(base, head, options);
  EXPECT_EQ(r.overlap.base_cases, 40u);
  EXPECT_EQ(r.overlap.candidate_cases, 40u);
  EXPECT_EQ(r.overlap.common, 15u);
  EXPECT_EQ(r.overlap.only_base, 25u);
  EXPECT_EQ(r.overlap.only_candidate, 25u);
  EXPECT_EQ(r.comparisons[0].n, 15u);
}

TEST(CompareReports, RefusesAnOverlapBelowTheMinimum) {
  const auto base = make_report("v", "m", scores(40, [](std::size_t) { return 1.0; }));
  const auto head = make_report("v", "m",
                                scores(
                                    40, [](std::size_t) { return 1.0; }, 25));
  EXPECT_EQ(error_of(base, head),
            "base.json and head.json have 15 cases in common (25 only in base.json, 25 only in "
            "head.json); at least 50% of the smaller report's 40 cases must be in both "
            "(--min-overlap 0.5) for a paired comparison");
  const auto disjoint = make_report("v", "m",
                                    scores(
                                        10, [](std::size_t) { return 1.0; }, 100));
  CompareOptions options;
  options.min_overlap = 0;
  EXPECT_THAT(error_of(base, disjoint, options), HasSubstr("have 0 cases in common"));
}

TEST(CompareReports, PairsTheOnlyVariantsOfEachEvenWithDifferentIds) {
  const auto base = make_report("old/p", "m", scores(10, [](std::size_t) { return 1.0; }));
  const auto head = make_report("new/p", "m", scores(10, [](std::size_t) { return 1.0; }));
  const ReportComparison r = compare(base, head);
  EXPECT_EQ(r.comparisons[0].baseline, "old/p");
  EXPECT_EQ(r.comparisons[0].variant, "new/p");
}

TEST(CompareReports, PairsVariantsWithTheSameIdOrAsTold) {
  auto base = make_report("a", "m", scores(10, [](std::size_t) { return 1.0; }));
  auto head = make_report("a", "m", scores(10, [](std::size_t) { return 0.0; }));
  base["variants"].push_back(base["variants"][0]);
  base["variants"][1]["id"] = "b";
  head["variants"].push_back(head["variants"][0]);
  head["variants"][1]["id"] = "c";
  for (auto& c : head["cases"]) {
    c["results"].push_back({{"variant", "c"}, {"scores", {{"m", 1.0}}}});
  }
  ReportComparison r = compare(base, head);
  ASSERT_EQ(r.comparisons.size(), 1u);
  EXPECT_EQ(r.comparisons[0].variant, "a");

  CompareOptions options;
  options.variants = {{"a", "c"}};
  r = compare(base, head, options);
  ASSERT_EQ(r.comparisons.size(), 1u);
  EXPECT_EQ(r.comparisons[0].variant, "c");
  EXPECT_DOUBLE_EQ(r.comparisons[0].mean_diff, 0.0);

  options.variants = {{"a", "cc"}};
  EXPECT_EQ(error_of(base, head, options),
            "--variant a:cc: head.json has no variant 'cc' (did you mean 'c'?); it has: a, c");
}

TEST(CompareReports, NoVariantInCommonIsAUserError) {
  auto base = make_report("a", "m", scores(10, [](std::size_t) { return 1.0; }));
  auto head = make_report("b", "m", scores(10, [](std::size_t) { return 1.0; }));
  head["variants"].push_back(head["variants"][0]);
  head["variants"][1]["id"] = "c";
  EXPECT_EQ(error_of(base, head),
            "no variant id is in both reports (base.json: a; head.json: b, c); choose the pair "
            "with --variant BASE_ID:CANDIDATE_ID");
}

TEST(CompareReports, UnknownMetricIsAUserError) {
  const auto base = make_report("v", "exact_match", scores(10, [](std::size_t) { return 1.0; }));
  CompareOptions options;
  options.metrics = {"exact_mtch"};
  EXPECT_EQ(error_of(base, base, options),
            "--metric exact_mtch: variant 'v' of base.json has no metric 'exact_mtch' (did you "
            "mean 'exact_match'?); it has: exact_match");
}

TEST(CompareReports, NothingScoredOnBothSidesIsAUserError) {
  const auto base = make_report("v", "m", scores(10, [](std::size_t) { return 1.0; }));
  auto head = base;
  for (auto& c : head["cases"]) {
    c["results"][0]["scores"] = ordered_json::object();  // every request failed
    c["results"][0]["error"] = {{"kind", "network"}, {"message", "refused"}};
  }
  EXPECT_EQ(error_of(base, head),
            "no case has a score in both base.json and head.json (errors or missing metrics on "
            "every common case)");
}

TEST(CompareReports, WarnsAboutAPartialReport) {
  auto base = make_report("v", "m", scores(10, [](std::size_t) { return 1.0; }));
  auto head = base;
  head["run"]["complete"] = false;
  head["run"]["stop_reason"] = "interrupted";
  const ReportComparison r = compare(base, head);
  EXPECT_EQ(r.warnings, (std::vector<std::string>{
                            "head.json is a partial report (interrupted); only its finished cases "
                            "are compared"}));
}

TEST(CompareOutput, JsonHoldsTheReportsComparisonFields) {
  const auto base = make_report("v", "exact_match", scores(40, [](std::size_t) { return 1.0; }));
  const auto head =
      make_report("v", "exact_match", scores(40, [](std::size_t i) { return i < 20 ? 0.0 : 1.0; }));
  const CompareOptions options;
  const ordered_json out = comparison_json(compare(base, head, options), options);
  EXPECT_EQ(out["overlap"],
            (ordered_json{{"common", 40}, {"only_base", 0}, {"only_candidate", 0}}));
  EXPECT_EQ(out["regression"], true);
  ASSERT_EQ(out["comparisons"].size(), 1u);
  std::vector<std::string> keys;
  for (const auto& [key, value] : out["comparisons"][0].items()) {
    keys.push_back(key);
  }
  for (const char* key : {"metric", "baseline", "variant", "n", "mean_diff", "ci95", "test",
                          "p_value", "p_adjusted", "verdict"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  }
  EXPECT_EQ(out["comparisons"][0]["verdict"], "worse");
}

TEST(CompareOutput, TextIsAnAlignedTableWithATally) {
  const auto base = make_report("v", "exact_match", scores(40, [](std::size_t) { return 1.0; }));
  const auto head =
      make_report("v", "exact_match", scores(40, [](std::size_t i) { return i < 20 ? 0.0 : 1.0; }));
  const CompareOptions options;
  const std::string text = comparison_text(compare(base, head, options), options);
  EXPECT_THAT(text, ::testing::StartsWith("base:      base.json (40 cases)\n"
                                          "candidate: head.json (40 cases)\n"
                                          "overlap:   40 cases in both, 0 only in base.json, 0 "
                                          "only in head.json\n\n"
                                          "metric       baseline  candidate  n   Δ mean  95% CI"));
  EXPECT_THAT(text, HasSubstr("\nexact_match  v         v          40  -0.5    [-0.65"));
  EXPECT_THAT(text, HasSubstr("mcnemar_exact  <0.0001  <0.0001   worse\n"));
  EXPECT_THAT(text, ::testing::EndsWith(
                        "\n1 worse, 0 better, 0 no significant difference (alpha 0.05 after Holm "
                        "across 1 comparison)\n"));
}

}  // namespace
}  // namespace promptbench
