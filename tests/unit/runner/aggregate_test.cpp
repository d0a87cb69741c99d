// SPDX-License-Identifier: Apache-2.0
// Per-variant figures from per-case numbers: which interval, repeats averaged per case, gates
// on the mean or the interval, the baseline and the comparisons with it.
#include "runner/aggregate.hpp"

#include <cmath>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "promptbench/stats.hpp"

namespace promptbench {
namespace {

std::unique_ptr<Metric> metric(const std::string& name) {
  MetricConfig config;
  config.name = name;
  return make_metric(config);
}

TEST(VariantAggregate, AveragesEachCasesSamples) {
  VariantAggregate aggregate(1, 3);
  aggregate.add_score(0, 0, 1);
  aggregate.add_score(0, 0, 0);
  aggregate.add_score(0, 0, 1);
  aggregate.add_score(0, 2, 0.5);
  const std::vector<double> means = aggregate.case_means(0);
  ASSERT_EQ(means.size(), 3u);
  EXPECT_DOUBLE_EQ(means[0], 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(means[1]));
  EXPECT_DOUBLE_EQ(means[2], 0.5);
}

TEST(SummarizeMetric, UsesTheWilsonIntervalForPassFailScores) {
  // 81 of 263 pass: Newcombe (1998)'s example, 0.2553-0.3662.
  VariantAggregate aggregate(1, 263);
  for (std::size_t i = 0; i < 263; ++i) {
    aggregate.add_score(0, i, i < 81 ? 1 : 0);
  }
  const MetricSummary summary = summarize_metric(*metric("exact_match"), aggregate, 0, 1, 0);
  EXPECT_EQ(summary.n, 263u);
  EXPECT_NEAR(summary.mean, 81.0 / 263.0, 1e-12);
  EXPECT_NEAR(summary.ci_low, 0.2553, 5e-5);
  EXPECT_NEAR(summary.ci_high, 0.3662, 5e-5);
  EXPECT_TRUE(summary.higher_is_better);
}

TEST(SummarizeMetric, UsesTheSeededBootstrapForOtherScores) {
  VariantAggregate aggregate(1, 30);
  std::vector<double> values;
  for (std::size_t i = 0; i < 30; ++i) {
    values.push_back(static_cast<double>((i * 37) % 101));
    aggregate.add_score(0, i, values.back());
  }
  const MetricSummary summary = summarize_metric(*metric("latency"), aggregate, 0, 1, 3);
  const Interval expected = bootstrap_mean_interval(values, {3});
  EXPECT_EQ(summary.ci_low, expected.low);
  EXPECT_EQ(summary.ci_high, expected.high);
  EXPECT_FALSE(summary.higher_is_better);
  const Summary plain = summarize(values);
  EXPECT_DOUBLE_EQ(summary.stddev, plain.stddev);
  EXPECT_DOUBLE_EQ(summary.stderr_, plain.stderr_);
  // Another seed, another (but close) interval.
  const MetricSummary other = summarize_metric(*metric("latency"), aggregate, 0, 1, 4);
  EXPECT_NE(other.ci_low, summary.ci_low);
  EXPECT_NEAR(other.ci_low, summary.ci_low, 5);
}

TEST(SummarizeMetric, TreatsTheCaseAsTheUnitWithRepeats) {
  // Two cases, three samples each: 1,1,0 and 0,0,0 -> case means 2/3 and 0; n = 2.
  VariantAggregate aggregate(1, 2);
  for (double score : {1.0, 1.0, 0.0}) {
    aggregate.add_score(0, 0, score);
  }
  for (int i = 0; i < 3; ++i) {
    aggregate.add_score(0, 1, 0);
  }
  const MetricSummary summary = summarize_metric(*metric("exact_match"), aggregate, 0, 3, 0);
  EXPECT_EQ(summary.n, 2u);
  EXPECT_EQ(summary.unscored, 0u);
  EXPECT_DOUBLE_EQ(summary.mean, 1.0 / 3.0);
  // The case means are not all 0/1: bootstrap over {2/3, 0}, not Wilson over six samples.
  EXPECT_DOUBLE_EQ(summary.ci_low, 0);
  EXPECT_DOUBLE_EQ(summary.ci_high, 2.0 / 3.0);
}

TEST(SummarizeMetric, ReportsThePassRateOverSamples) {
  VariantAggregate aggregate(1, 2);
  aggregate.add_pass(0, true);
  aggregate.add_pass(0, false);
  aggregate.add_pass(0, true);
  aggregate.add_pass(0, true);
  EXPECT_EQ(summarize_metric(*metric("exact_match"), aggregate, 0, 1, 0).pass_rate, 0.75);
}

VariantSummary variant_with(const std::string& id, double mean, double low, double high) {
  VariantSummary variant;
  variant.id = id;
  MetricSummary m;
  m.name = "exact_match";
  m.n = 100;
  m.mean = mean;
  m.ci_low = low;
  m.ci_high = high;
  variant.metrics.push_back(m);
  return variant;
}

GateConfig gate(std::optional<double> min, std::optional<double> max, GateOn on,
                const std::string& variant = "") {
  GateConfig g;
  g.metric = "exact_match";
  g.min = min;
  g.max = max;
  g.on = on;
  g.variant = variant;
  return g;
}

TEST(EvaluateGates, HoldsTheMeanAgainstTheBounds) {
  const std::vector<VariantSummary> variants = {variant_with("a/x", 0.85, 0.78, 0.91),
                                                variant_with("b/x", 0.70, 0.61, 0.78)};
  const std::vector<GateResult> results =
      evaluate_gates({gate(0.8, std::nullopt, GateOn::mean)}, variants, 100);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].passed);
  EXPECT_FALSE(results[0].shortfall);
  EXPECT_EQ(results[0].on, "mean");
  EXPECT_EQ(results[0].ci_low, 0.78);
  EXPECT_FALSE(results[1].passed);
  EXPECT_NEAR(*results[1].shortfall, 0.1, 1e-12);
  EXPECT_EQ(describe_gate_failure(results[1]),
            "b/x exact_match: mean 0.7 < min 0.8 (short by 0.1)");
}

TEST(EvaluateGates, HoldsThePessimisticEndOfTheIntervalOnCiLow) {
  const std::vector<VariantSummary> variants = {variant_with("a/x", 0.85, 0.78, 0.91)};
  const std::vector<GateResult> low =
      evaluate_gates({gate(0.8, std::nullopt, GateOn::ci_low)}, variants, 100);
  ASSERT_EQ(low.size(), 1u);
  EXPECT_FALSE(low[0].passed);  // the mean passes, the interval's lower end does not
  EXPECT_NEAR(*low[0].shortfall, 0.02, 1e-12);
  EXPECT_EQ(low[0].on, "ci_low");
  EXPECT_EQ(describe_gate_failure(low[0]),
            "a/x exact_match: ci_low 0.78 < min 0.8 (short by 0.02; mean 0.85)");
  // A max gate on ci_low holds ci_high against the maximum.
  const std::vector<GateResult> high =
      evaluate_gates({gate(std::nullopt, 0.9, GateOn::ci_low)}, variants, 100);
  EXPECT_FALSE(high[0].passed);
  EXPECT_NEAR(*high[0].shortfall, 0.01, 1e-12);
  EXPECT_EQ(describe_gate_failure(high[0]),
            "a/x exact_match: ci_high 0.91 > max 0.9 (over by 0.01; mean 0.85)");
  EXPECT_TRUE(evaluate_gates({gate(std::nullopt, 0.9, GateOn::mean)}, variants, 100)[0].passed);
}

TEST(EvaluateGates, FailsAVariantWithoutAScoreAndHonoursTheVariantFilter) {
  VariantSummary empty = variant_with("b/x", 0, 0, 0);
  empty.metrics[0].n = 0;
  const std::vector<VariantSummary> variants = {variant_with("a/x", 0.85, 0.78, 0.91), empty};
  const std::vector<GateResult> all = evaluate_gates({gate(0.5, 1, GateOn::mean)}, variants, 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].passed);
  EXPECT_FALSE(all[1].passed);
  EXPECT_FALSE(all[1].value);
  EXPECT_EQ(describe_gate_failure(all[1]), "b/x exact_match: no score (min 0.5, max 1)");
  const std::vector<GateResult> one =
      evaluate_gates({gate(0.5, std::nullopt, GateOn::mean, "b/x")}, variants, 100);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].variant, "b/x");
}

TEST(SummarizeMetric, CountsTheResultsWithoutAScore) {
  // Four cases x two repeats = 8 results; case 1 has one sample, case 3 none: 3 unscored.
  VariantAggregate aggregate(1, 4);
  for (std::size_t i : {0, 0, 1, 2, 2}) {
    aggregate.add_score(0, i, 1);
  }
  const MetricSummary summary = summarize_metric(*metric("exact_match"), aggregate, 0, 2, 0);
  EXPECT_EQ(summary.n, 3u);
  EXPECT_EQ(summary.unscored, 3u);
}

TEST(EvaluateGates, NeverPassesOnTheScoredCasesAloneWhenSomeAreUnscored) {
  // 83 of 300 failed: the mean of the 217 survivors passes, the gate must not.
  VariantSummary survivors = variant_with("a/x", 0.97, 0.95, 0.99);
  survivors.metrics[0].n = 217;
  survivors.metrics[0].unscored = 83;
  const std::vector<GateResult> strict =
      evaluate_gates({gate(0.9, std::nullopt, GateOn::ci_low)}, {survivors}, 300);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_FALSE(strict[0].passed);
  EXPECT_FALSE(strict[0].shortfall);  // the figure itself passes
  EXPECT_EQ(strict[0].unscored, 83u);
  EXPECT_EQ(strict[0].max_unscored, 0u);
  EXPECT_EQ(describe_gate_failure(strict[0]),
            "a/x exact_match: 83 results unscored (max_unscored 0); ci95 [0.95, 0.99] (min 0.9) "
            "covers only the scored ones");
  // A gate that tolerates 30% of 300 = 90 unscored results passes.
  GateConfig tolerant = gate(0.9, std::nullopt, GateOn::mean);
  tolerant.max_unscored.percent = 30;
  const std::vector<GateResult> lenient = evaluate_gates({tolerant}, {survivors}, 300);
  EXPECT_TRUE(lenient[0].passed);
  EXPECT_EQ(lenient[0].max_unscored, 90u);
  // Both reasons at once are both said.
  survivors.metrics[0].mean = 0.5;
  EXPECT_EQ(describe_gate_failure(
                evaluate_gates({gate(0.9, std::nullopt, GateOn::mean)}, {survivors}, 300)[0]),
            "a/x exact_match: mean 0.5 < min 0.9 (short by 0.4); 83 results unscored "
            "(max_unscored 0)");
}

Config two_prompts_two_providers() {
  Config config;
  config.prompts.resize(2);
  config.prompts[0].id = "terse";
  config.prompts[1].id = "chat";
  config.providers.resize(2);
  config.providers[0].id = "a";
  config.providers[1].id = "b";
  return config;
}

const std::vector<Variant> kVariants = {
    {"terse/a", 0, 0}, {"terse/b", 0, 1}, {"chat/a", 1, 0}, {"chat/b", 1, 1}};

TEST(BaselineIndex, FindsAVariantOrThePromptsFirstVariant) {
  Config config = two_prompts_two_providers();
  EXPECT_EQ(baseline_index(config, kVariants), 0u);
  config.baseline = "chat/b";
  EXPECT_EQ(baseline_index(config, kVariants), 3u);
  config.baseline = "chat";
  EXPECT_EQ(baseline_index(config, kVariants), 2u);
  // Filtered out of the run: the first variant run.
  const std::vector<Variant> only_terse = {kVariants[0], kVariants[1]};
  EXPECT_EQ(baseline_index(config, only_terse), 0u);
}

TEST(CompareWithBaseline, ComparesEveryOtherVariantOnEveryMetricAsOneFamily) {
  std::vector<std::unique_ptr<Metric>> metrics;
  metrics.push_back(metric("exact_match"));
  metrics.push_back(metric("latency"));
  const std::vector<Variant> variants = {kVariants[0], kVariants[2], kVariants[3]};
  std::vector<VariantAggregate> aggregates(3, VariantAggregate(2, 40));
  for (std::size_t i = 0; i < 40; ++i) {
    aggregates[0].add_score(0, i, i < 10 ? 1 : 0);  // baseline: 10 of 40
    aggregates[1].add_score(0, i, i < 30 ? 1 : 0);  // clearly better: 30 of 40
    aggregates[2].add_score(0, i, i < 11 ? 1 : 0);  // about the same
    for (std::size_t v = 0; v < 3; ++v) {
      aggregates[v].add_score(1, i, 100.0 + static_cast<double>(i % 7) + (v == 1 ? 50 : 0));
    }
  }
  ComparisonOptions options;
  options.resample.seed = 0;
  const std::vector<Comparison> comparisons =
      compare_with_baseline(variants, aggregates, metrics, 0, options);
  ASSERT_EQ(comparisons.size(), 4u);
  EXPECT_EQ(comparisons[0].variant, "chat/a");
  EXPECT_EQ(comparisons[0].baseline, "terse/a");
  EXPECT_EQ(comparisons[0].metric, "exact_match");
  EXPECT_EQ(comparisons[0].test, "mcnemar_exact");
  EXPECT_DOUBLE_EQ(comparisons[0].p_value, mcnemar_exact_p(0, 20));
  EXPECT_DOUBLE_EQ(comparisons[0].p_adjusted, 4 * mcnemar_exact_p(0, 20));
  EXPECT_EQ(comparisons[0].verdict, Verdict::better);
  EXPECT_EQ(comparisons[1].metric, "latency");
  EXPECT_EQ(comparisons[1].test, "permutation");
  EXPECT_DOUBLE_EQ(comparisons[1].mean_diff, 50);
  EXPECT_EQ(comparisons[1].verdict, Verdict::worse);  // slower: latency is lower-is-better
  EXPECT_EQ(comparisons[2].variant, "chat/b");
  EXPECT_EQ(comparisons[2].verdict, Verdict::no_significant_difference);
  EXPECT_EQ(comparisons[3].verdict, Verdict::no_significant_difference);  // same latencies

  // The config's alpha and min_effect decide the verdicts: +0.5 exact_match is below a
  // minimum effect of 0.6, and no p-value here is under an alpha of 1e-12.
  options.min_effect = 0.6;
  EXPECT_EQ(compare_with_baseline(variants, aggregates, metrics, 0, options)[0].verdict,
            Verdict::no_significant_difference);
  options.min_effect = 0;
  options.alpha = 1e-12;
  const std::vector<Comparison> strict =
      compare_with_baseline(variants, aggregates, metrics, 0, options);
  EXPECT_EQ(strict[0].verdict, Verdict::no_significant_difference);
  EXPECT_DOUBLE_EQ(strict[0].p_value, comparisons[0].p_value);  // the test itself is unchanged
}

}  // namespace
}  // namespace promptbench
