// SPDX-License-Identifier: Apache-2.0
// The summary accumulator: which interval, repeats averaged per case, pass rates, corpus
// figures, merging, gates on the mean or the interval, and the comparisons with the baseline.
#include "promptbench/summary.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "promptbench/stats.hpp"

namespace promptbench {
namespace {

/// A plan of `variants` variants ("v0/x", ...) and the named metrics (latency is
/// lower-is-better, as its metric is).
SummaryPlan plan_of(std::size_t variants, std::vector<std::string> metrics, std::size_t cases,
                    std::size_t repeat = 1, std::uint64_t seed = 0) {
  SummaryPlan plan;
  for (std::size_t v = 0; v < variants; ++v) {
    plan.variants.push_back(
        {"v" + std::to_string(v) + "/x", "v" + std::to_string(v), "x", "m", false});
  }
  for (const std::string& name : metrics) {
    plan.metrics.push_back({name, name != "latency", ""});
  }
  plan.cases = cases;
  plan.repeat = repeat;
  plan.seed = seed;
  return plan;
}

/// One result of variant `v` on case `index` with `metric` scored `value` (and a pass
/// flag when given).
void add_score(SummaryAccumulator& summary, std::size_t v, std::size_t index,
               const std::string& metric, double value, std::optional<bool> pass = std::nullopt) {
  CaseRecord record;
  record.index = index;
  record.id = "c" + std::to_string(index);
  CaseResult result;
  result.variant = summary.plan().variants[v].id;
  MetricOutcome& outcome = result.metric(metric);
  outcome.score = value;
  outcome.pass = pass;
  record.results.push_back(std::move(result));
  summary.add(record);
}

MetricSummary first_metric(const SummaryAccumulator& summary) {
  return summary.variants().at(0).metrics.at(0);
}

TEST(SummaryAccumulator, AveragesEachCasesSamples) {
  SummaryAccumulator summary(plan_of(1, {"exact_match"}, 3));
  add_score(summary, 0, 0, "exact_match", 1);
  add_score(summary, 0, 0, "exact_match", 0);
  add_score(summary, 0, 0, "exact_match", 1);
  add_score(summary, 0, 2, "exact_match", 0.5);
  const std::vector<double> means = summary.case_means(0, 0);
  ASSERT_EQ(means.size(), 3u);
  EXPECT_DOUBLE_EQ(means[0], 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(means[1]));
  EXPECT_DOUBLE_EQ(means[2], 0.5);
  EXPECT_EQ(summary.cases_evaluated(), 2u);
  EXPECT_EQ(summary.variants()[0].cases, 2u);
}

TEST(SummarizeMetric, UsesTheWilsonIntervalForPassFailScores) {
  // 81 of 263 pass: Newcombe (1998)'s example, 0.2553-0.3662.
  SummaryAccumulator summary(plan_of(1, {"exact_match"}, 263));
  for (std::size_t i = 0; i < 263; ++i) {
    add_score(summary, 0, i, "exact_match", i < 81 ? 1 : 0);
  }
  const MetricSummary metric = first_metric(summary);
  EXPECT_EQ(metric.n, 263u);
  EXPECT_NEAR(metric.mean, 81.0 / 263.0, 1e-12);
  EXPECT_NEAR(metric.ci_low, 0.2553, 5e-5);
  EXPECT_NEAR(metric.ci_high, 0.3662, 5e-5);
  EXPECT_TRUE(metric.higher_is_better);
}

TEST(SummarizeMetric, UsesTheSeededBootstrapForOtherScores) {
  SummaryAccumulator summary(plan_of(1, {"latency"}, 30, 1, 3));
  SummaryAccumulator reseeded(plan_of(1, {"latency"}, 30, 1, 4));
  std::vector<double> values;
  for (std::size_t i = 0; i < 30; ++i) {
    values.push_back(static_cast<double>((i * 37) % 101));
    add_score(summary, 0, i, "latency", values.back());
    add_score(reseeded, 0, i, "latency", values.back());
  }
  const MetricSummary metric = first_metric(summary);
  const Interval expected = bootstrap_mean_interval(values, {3});
  EXPECT_EQ(metric.ci_low, expected.low);
  EXPECT_EQ(metric.ci_high, expected.high);
  EXPECT_FALSE(metric.higher_is_better);
  const Summary plain = summarize(values);
  EXPECT_DOUBLE_EQ(metric.stddev, plain.stddev);
  EXPECT_DOUBLE_EQ(metric.stderr_, plain.stderr_);
  // Another seed, another (but close) interval.
  const MetricSummary other = first_metric(reseeded);
  EXPECT_NE(other.ci_low, metric.ci_low);
  EXPECT_NEAR(other.ci_low, metric.ci_low, 5);
}

TEST(SummarizeMetric, TreatsTheCaseAsTheUnitWithRepeats) {
  // Two cases, three samples each: 1,1,0 and 0,0,0 -> case means 2/3 and 0; n = 2.
  SummaryAccumulator summary(plan_of(1, {"exact_match"}, 2, 3));
  for (double score : {1.0, 1.0, 0.0}) {
    add_score(summary, 0, 0, "exact_match", score);
  }
  for (int i = 0; i < 3; ++i) {
    add_score(summary, 0, 1, "exact_match", 0);
  }
  const MetricSummary metric = first_metric(summary);
  EXPECT_EQ(metric.n, 2u);
  EXPECT_EQ(metric.unscored, 0u);
  EXPECT_DOUBLE_EQ(metric.mean, 1.0 / 3.0);
  // The case means are not all 0/1: bootstrap over {2/3, 0}, not Wilson over six samples.
  EXPECT_DOUBLE_EQ(metric.ci_low, 0);
  EXPECT_DOUBLE_EQ(metric.ci_high, 2.0 / 3.0);
}

TEST(SummarizeMetric, ReportsThePassRateOverSamples) {
  SummaryAccumulator summary(plan_of(1, {"exact_match"}, 2, 2));
  add_score(summary, 0, 0, "exact_match", 1, true);
  add_score(summary, 0, 0, "exact_match", 0, false);
  add_score(summary, 0, 1, "exact_match", 1, true);
  add_score(summary, 0, 1, "exact_match", 1, true);
  EXPECT_EQ(first_metric(summary).pass_rate, 0.75);
}

TEST(SummarizeMetric, CountsTheResultsWithoutAScore) {
  // Four cases x two repeats = 8 results; case 1 has one sample, case 3 none: 3 unscored.
  SummaryAccumulator summary(plan_of(1, {"exact_match"}, 4, 2));
  for (std::size_t i : {0, 0, 1, 2, 2}) {
    add_score(summary, 0, i, "exact_match", 1);
  }
  const MetricSummary metric = first_metric(summary);
  EXPECT_EQ(metric.n, 3u);
  EXPECT_EQ(metric.unscored, 3u);
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

/// Three variants on 40 cases: v0 (the baseline) passes 10, v1 30 (clearly better), v2 11
/// (about the same); v1 is 50 ms slower, the others equal.
SummaryAccumulator three_variants(double alpha, double min_effect) {
  SummaryPlan plan = plan_of(3, {"exact_match", "latency"}, 40);
  plan.alpha = alpha;
  plan.min_effect = min_effect;
  SummaryAccumulator summary(plan);
  for (std::size_t i = 0; i < 40; ++i) {
    for (std::size_t v = 0; v < 3; ++v) {
      const std::size_t passing = v == 0 ? 10 : v == 1 ? 30 : 11;
      CaseRecord record;
      record.index = i;
      CaseResult result;
      result.variant = plan.variants[v].id;
      result.metric("exact_match").score = i < passing ? 1 : 0;
      result.metric("latency").score = 100.0 + static_cast<double>(i % 7) + (v == 1 ? 50 : 0);
      record.results.push_back(result);
      summary.add(record);
    }
  }
  return summary;
}

TEST(Comparisons, ComparesEveryOtherVariantOnEveryMetricAsOneFamily) {
  const std::vector<Comparison> comparisons = three_variants(0.05, 0).comparisons();
  ASSERT_EQ(comparisons.size(), 4u);
  EXPECT_EQ(comparisons[0].variant, "v1/x");
  EXPECT_EQ(comparisons[0].baseline, "v0/x");
  EXPECT_EQ(comparisons[0].metric, "exact_match");
  EXPECT_EQ(comparisons[0].test, "mcnemar_exact");
  EXPECT_DOUBLE_EQ(comparisons[0].p_value, mcnemar_exact_p(0, 20));
  EXPECT_DOUBLE_EQ(comparisons[0].p_adjusted, 4 * mcnemar_exact_p(0, 20));
  EXPECT_EQ(comparisons[0].verdict, Verdict::better);
  EXPECT_EQ(comparisons[1].metric, "latency");
  EXPECT_EQ(comparisons[1].test, "permutation");
  EXPECT_DOUBLE_EQ(comparisons[1].mean_diff, 50);
  EXPECT_EQ(comparisons[1].verdict, Verdict::worse);  // slower: latency is lower-is-better
  EXPECT_EQ(comparisons[2].variant, "v2/x");
  EXPECT_EQ(comparisons[2].verdict, Verdict::no_significant_difference);
  EXPECT_EQ(comparisons[3].verdict, Verdict::no_significant_difference);  // same latencies

  // The plan's alpha and min_effect decide the verdicts: +0.5 exact_match is below a
  // minimum effect of 0.6, and no p-value here is under an alpha of 1e-12.
  EXPECT_EQ(three_variants(0.05, 0.6).comparisons()[0].verdict, Verdict::no_significant_difference);
  const std::vector<Comparison> strict = three_variants(1e-12, 0).comparisons();
  EXPECT_EQ(strict[0].verdict, Verdict::no_significant_difference);
  EXPECT_DOUBLE_EQ(strict[0].p_value, comparisons[0].p_value);  // the test itself is unchanged
}

CaseRecord full_result(std::size_t index, const std::string& variant) {
  CaseRecord record;
  record.index = index;
  record.id = "c" + std::to_string(index);
  CaseResult result;
  result.variant = variant;
  result.output = "out";
  result.latency_ms = 10.0 * static_cast<double>(index + 1);
  if (index != 0) {
    result.ttft_ms = 2.0 * static_cast<double>(index);  // case 0 was not streamed
  }
  result.has_usage = true;
  result.prompt_tokens = 3;
  result.completion_tokens = 2;
  result.cost_usd = 0.25;
  result.attempts = index == 1 ? 3 : 1;
  result.retries = index == 1 ? 2 : 0;
  result.cached = index == 2;
  MetricOutcome& bleu = result.metric("bleu");
  bleu.score = 50;
  // hypothesis 4 tokens, reference 4, matches 4/3/2/1 of totals 4/3/2/1: a perfect match.
  bleu.corpus = {4, 4, 4, 3, 2, 1, 4, 3, 2, 1};
  if (index == 3) {
    result.error = ResultError{"extract", "no match", 0};
  }
  record.results.push_back(result);
  return record;
}

SummaryPlan priced_bleu_plan() {
  SummaryPlan plan = plan_of(1, {"bleu"}, 4);
  plan.variants[0].priced = true;
  plan.metrics[0].corpus_kind = "bleu";
  return plan;
}

TEST(SummaryAccumulator, SumsUsageCostAttemptsAndCorpusStatistics) {
  SummaryAccumulator summary(priced_bleu_plan());
  for (std::size_t i = 0; i < 4; ++i) {
    summary.add(full_result(i, "v0/x"));
  }
  const VariantSummary variant = summary.variants()[0];
  EXPECT_EQ(variant.cases, 4u);
  EXPECT_EQ(variant.attempts, 6u);
  EXPECT_EQ(variant.retries, 2u);
  EXPECT_EQ(variant.cache_hits, 1u);
  EXPECT_EQ(variant.errors, 1u);
  EXPECT_EQ(variant.errors_by_kind.at("extract"), 1u);
  EXPECT_EQ(variant.prompt_tokens, 12);
  EXPECT_EQ(variant.completion_tokens, 8);
  EXPECT_DOUBLE_EQ(*variant.cost_usd, 1.0);
  EXPECT_DOUBLE_EQ(*variant.latency_p50, 25.0);
  EXPECT_DOUBLE_EQ(*variant.ttft_p50, 4.0);  // of the three streamed answers: 2, 4, 6
  EXPECT_GT(*variant.ttft_p99, *variant.ttft_p90);
  EXPECT_EQ(variant.metrics[0].corpus_kind, "bleu");
  EXPECT_DOUBLE_EQ(*variant.metrics[0].corpus, 100.0);  // four perfect segments
}

TEST(SummaryAccumulator, MergingShardsGivesTheSummaryOfTheWhole) {
  SummaryAccumulator whole(priced_bleu_plan());
  SummaryAccumulator first(priced_bleu_plan());
  SummaryAccumulator second(priced_bleu_plan());
  for (std::size_t i = 0; i < 4; ++i) {
    whole.add(full_result(i, "v0/x"));
    (i % 2 == 0 ? first : second).add(full_result(i, "v0/x"));
  }
  first.merge(second);
  const VariantSummary merged = first.variants()[0];
  const VariantSummary expected = whole.variants()[0];
  EXPECT_EQ(merged.cases, expected.cases);
  EXPECT_EQ(merged.attempts, expected.attempts);
  EXPECT_EQ(merged.cache_hits, expected.cache_hits);
  EXPECT_EQ(merged.errors_by_kind, expected.errors_by_kind);
  EXPECT_EQ(merged.latency_p90, expected.latency_p90);
  EXPECT_EQ(merged.ttft_p90, expected.ttft_p90);
  EXPECT_EQ(merged.metrics[0].mean, expected.metrics[0].mean);
  EXPECT_EQ(merged.metrics[0].ci_low, expected.metrics[0].ci_low);
  EXPECT_EQ(merged.metrics[0].corpus, expected.metrics[0].corpus);
  EXPECT_EQ(first.cases_evaluated(), 4u);
}

TEST(SummaryAccumulator, RefusesAResultOfAVariantOutsideThePlan) {
  SummaryAccumulator summary(plan_of(1, {"exact_match"}, 1));
  EXPECT_THROW(summary.add(full_result(0, "other/x"), "r.json"), UserError);
}

}  // namespace
}  // namespace promptbench
