// SPDX-License-Identifier: Apache-2.0
// The summary accumulator: a few numbers per case and variant, enough for every statistic
// of the report, whether the cases come from a live run or from reports.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/stats.hpp"
#include "promptbench/summary.hpp"

namespace promptbench {

namespace {

constexpr float kNoScore = std::numeric_limits<float>::quiet_NaN();

std::size_t metric_index(const SummaryPlan& plan, const std::string& name) {
  for (std::size_t m = 0; m < plan.metrics.size(); ++m) {
    if (plan.metrics[m].name == name) {
      return m;
    }
  }
  return plan.metrics.size();
}

void add_sums(std::vector<double>& into, const std::vector<double>& add) {
  if (into.size() < add.size()) {
    into.resize(add.size(), 0.0);
  }
  for (std::size_t i = 0; i < add.size(); ++i) {
    into[i] += add[i];
  }
}

}  // namespace

SummaryAccumulator::SummaryAccumulator(SummaryPlan plan, bool keep_case_ids)
    : m_plan(std::move(plan)), m_keep_case_ids(keep_case_ids) {
  const std::size_t metrics = m_plan.metrics.size();
  for (std::size_t v = 0; v < m_plan.variants.size(); ++v) {
    VariantState state;
    state.sums.resize(metrics);
    state.samples.resize(metrics);
    state.judged.resize(metrics, 0);
    state.passed.resize(metrics, 0);
    state.corpus.resize(metrics);
    m_variants.push_back(std::move(state));
  }
  ensure_case(m_plan.cases == 0 ? 0 : m_plan.cases - 1);
}

void SummaryAccumulator::ensure_case(std::size_t index) {
  if (index < m_cases) {
    return;
  }
  m_cases = index + 1;
  for (VariantState& state : m_variants) {
    for (auto& sums : state.sums) {
      sums.resize(m_cases, kNoScore);
    }
    for (auto& samples : state.samples) {
      samples.resize(m_cases, 0);
    }
    state.results.resize(m_cases, 0);
  }
  if (m_keep_case_ids) {
    m_case_ids.resize(m_cases);
  }
}

std::size_t SummaryAccumulator::variant_index(const std::string& id) const {
  for (std::size_t v = 0; v < m_plan.variants.size(); ++v) {
    if (m_plan.variants[v].id == id) {
      return v;
    }
  }
  return m_plan.variants.size();
}

void SummaryAccumulator::add(const CaseRecord& record, const std::string& source) {
  ensure_case(record.index);
  if (m_keep_case_ids) {
    m_case_ids[record.index] = record.id;
  }
  for (std::size_t r = 0; r < record.results.size(); ++r) {
    const CaseResult& result = record.results[r];
    const std::size_t v = variant_index(result.variant);
    if (v == m_plan.variants.size()) {
      throw UserError(
          SourceLocation{source, 0, 0}, fmt::format("case '{}'.results[{}].variant", record.id, r),
          fmt::format("variant '{}' is not among the report's variants", result.variant));
    }
    add_result(m_variants[v], record.index, result);
  }
}

void SummaryAccumulator::add_result(VariantState& state, std::size_t index,
                                    const CaseResult& result) {
  ++state.results[index];
  state.attempts += static_cast<std::size_t>(result.attempts);
  state.retries += static_cast<std::size_t>(result.retries);
  if (result.error) {
    ++state.errors;
    ++state.errors_by_kind[result.error->kind];
  }
  if (result.cached && !result.request_failed()) {
    ++state.cache_hits;
  }
  if (result.latency_ms) {
    state.latencies.push_back(*result.latency_ms);
  }
  if (result.ttft_ms) {
    state.ttfts.push_back(*result.ttft_ms);
  }
  state.prompt_tokens += result.prompt_tokens.value_or(0);
  state.completion_tokens += result.completion_tokens.value_or(0);
  state.cost_usd += result.cost_usd.value_or(0);
  for (const MetricOutcome& outcome : result.metrics) {
    const std::size_t m = metric_index(m_plan, outcome.name);
    if (m == m_plan.metrics.size()) {
      continue;  // a metric the plan does not summarise (compare chose a few)
    }
    if (outcome.score) {
      float& sum = state.sums[m][index];
      const auto value = static_cast<float>(*outcome.score);
      sum = std::isnan(sum) ? value : sum + value;
      ++state.samples[m][index];
    }
    if (outcome.pass) {
      ++state.judged[m];
      state.passed[m] += *outcome.pass ? 1 : 0;
    }
    if (!m_plan.metrics[m].corpus_kind.empty()) {
      add_sums(state.corpus[m], outcome.corpus);
    }
  }
}

void SummaryAccumulator::merge(const SummaryAccumulator& other) {
  if (other.m_cases > 0) {
    ensure_case(other.m_cases - 1);
  }
  for (std::size_t v = 0; v < m_variants.size() && v < other.m_variants.size(); ++v) {
    VariantState& into = m_variants[v];
    const VariantState& from = other.m_variants[v];
    for (std::size_t m = 0; m < into.sums.size(); ++m) {
      for (std::size_t i = 0; i < from.sums[m].size(); ++i) {
        if (from.samples[m][i] > 0) {
          float& sum = into.sums[m][i];
          sum = std::isnan(sum) ? from.sums[m][i] : sum + from.sums[m][i];
          into.samples[m][i] = static_cast<std::uint16_t>(into.samples[m][i] + from.samples[m][i]);
        }
      }
      into.judged[m] += from.judged[m];
      into.passed[m] += from.passed[m];
      add_sums(into.corpus[m], from.corpus[m]);
    }
    for (std::size_t i = 0; i < from.results.size(); ++i) {
      into.results[i] = static_cast<std::uint16_t>(into.results[i] + from.results[i]);
    }
    into.latencies.insert(into.latencies.end(), from.latencies.begin(), from.latencies.end());
    into.ttfts.insert(into.ttfts.end(), from.ttfts.begin(), from.ttfts.end());
    into.errors += from.errors;
    into.cache_hits += from.cache_hits;
    into.attempts += from.attempts;
    into.retries += from.retries;
    for (const auto& [kind, count] : from.errors_by_kind) {
      into.errors_by_kind[kind] += count;
    }
    into.prompt_tokens += from.prompt_tokens;
    into.completion_tokens += from.completion_tokens;
    into.cost_usd += from.cost_usd;
  }
  if (m_keep_case_ids) {
    for (std::size_t i = 0; i < other.m_case_ids.size(); ++i) {
      if (m_case_ids[i].empty()) {
        m_case_ids[i] = other.m_case_ids[i];
      }
    }
  }
}

std::size_t SummaryAccumulator::cases_evaluated() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < m_cases; ++i) {
    count += std::any_of(m_variants.begin(), m_variants.end(),
                         [i](const VariantState& state) { return state.results[i] > 0; })
                 ? 1
                 : 0;
  }
  return count;
}

std::vector<double> SummaryAccumulator::case_means(std::size_t variant, std::size_t metric) const {
  const VariantState& state = m_variants[variant];
  std::vector<double> means(m_cases, std::nan(""));
  for (std::size_t i = 0; i < m_cases; ++i) {
    if (state.samples[metric][i] > 0) {
      means[i] = static_cast<double>(state.sums[metric][i]) / state.samples[metric][i];
    }
  }
  return means;
}

MetricSummary SummaryAccumulator::summarize_metric(std::size_t variant, std::size_t metric) const {
  const VariantState& state = m_variants[variant];
  const SummaryPlan::MetricInfo& info = m_plan.metrics[metric];
  std::size_t scored = 0;
  for (const std::uint16_t samples : state.samples[metric]) {
    scored += samples;
  }
  const std::size_t planned = m_plan.cases * m_plan.repeat;
  std::vector<double> values = case_means(variant, metric);
  std::erase_if(values, [](double v) { return std::isnan(v); });
  const Summary stats = summarize(values);
  MetricSummary summary;
  summary.name = info.name;
  summary.n = stats.n;
  summary.unscored = planned > scored ? planned - scored : 0;
  summary.mean = stats.mean;
  summary.stddev = stats.stddev;
  summary.stderr_ = stats.stderr_;
  summary.higher_is_better = info.higher_is_better;
  summary.corpus_kind = info.corpus_kind;
  summary.reference = info.reference;
  if (!values.empty()) {
    // A 0/1 score is a proportion: the Wilson interval stays inside [0, 1] and behaves at
    // 0% and 100%. Anything else gets the percentile bootstrap.
    const bool binary =
        std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0 || v == 1.0; });
    const Interval interval =
        binary ? wilson_interval(
                     static_cast<std::size_t>(std::count(values.begin(), values.end(), 1.0)),
                     values.size())
               : bootstrap_mean_interval(values, ResampleOptions{m_plan.seed});
    summary.ci_low = interval.low;
    summary.ci_high = interval.high;
    if (!info.corpus_kind.empty()) {
      summary.corpus = corpus_figure(info.corpus_kind, state.corpus[metric]);
    }
  }
  if (state.judged[metric] > 0) {
    summary.pass_rate =
        static_cast<double>(state.passed[metric]) / static_cast<double>(state.judged[metric]);
  }
  return summary;
}

std::vector<VariantSummary> SummaryAccumulator::variants() const {
  std::vector<VariantSummary> summaries;
  for (std::size_t v = 0; v < m_variants.size(); ++v) {
    const SummaryPlan::VariantInfo& info = m_plan.variants[v];
    const VariantState& state = m_variants[v];
    VariantSummary summary;
    summary.id = info.id;
    summary.prompt = info.prompt;
    summary.provider = info.provider;
    summary.model = info.model;
    summary.cases =
        static_cast<std::size_t>(std::count_if(state.results.begin(), state.results.end(),
                                               [](std::uint16_t results) { return results > 0; }));
    summary.errors = state.errors;
    summary.cache_hits = state.cache_hits;
    summary.attempts = state.attempts;
    summary.retries = state.retries;
    summary.errors_by_kind = state.errors_by_kind;
    for (std::size_t m = 0; m < m_plan.metrics.size(); ++m) {
      summary.metrics.push_back(summarize_metric(v, m));
    }
    if (!state.latencies.empty()) {
      summary.latency_p50 = quantile(state.latencies, 0.5);
      summary.latency_p90 = quantile(state.latencies, 0.9);
      summary.latency_p99 = quantile(state.latencies, 0.99);
    }
    if (!state.ttfts.empty()) {
      summary.ttft_p50 = quantile(state.ttfts, 0.5);
      summary.ttft_p90 = quantile(state.ttfts, 0.9);
      summary.ttft_p99 = quantile(state.ttfts, 0.99);
    }
    summary.prompt_tokens = state.prompt_tokens;
    summary.completion_tokens = state.completion_tokens;
    if (info.priced) {
      summary.cost_usd = state.cost_usd;
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

std::vector<Comparison> SummaryAccumulator::comparisons() const {
  ComparisonOptions options;
  options.alpha = m_plan.alpha;
  options.min_effect = m_plan.min_effect;
  options.resample.seed = m_plan.seed;
  std::vector<PairedScores> inputs;
  const std::size_t baseline = m_plan.baseline;
  for (std::size_t v = 0; v < m_variants.size(); ++v) {
    if (v == baseline) {
      continue;
    }
    for (std::size_t m = 0; m < m_plan.metrics.size(); ++m) {
      PairedScores scores;
      scores.metric = m_plan.metrics[m].name;
      scores.baseline = m_plan.variants[baseline].id;
      scores.variant = m_plan.variants[v].id;
      scores.baseline_scores = case_means(baseline, m);
      scores.variant_scores = case_means(v, m);
      scores.pass_fail = is_pass_fail(scores.baseline_scores, scores.variant_scores);
      scores.higher_is_better = m_plan.metrics[m].higher_is_better;
      scores.reference = m_plan.metrics[m].reference;
      inputs.push_back(std::move(scores));
    }
  }
  return compare_all(inputs, options);
}

std::vector<GateResult> SummaryAccumulator::gates(
    const std::vector<VariantSummary>& variants) const {
  return evaluate_gates(m_plan.gates, variants, m_plan.cases * m_plan.repeat);
}

SummaryFigures SummaryAccumulator::figures() const {
  SummaryFigures figures;
  figures.variants = variants();
  for (const Comparison& comparison : comparisons()) {
    figures.comparisons.push_back(to_json(comparison));
  }
  figures.gates = gates(figures.variants);
  return figures;
}

}  // namespace promptbench
