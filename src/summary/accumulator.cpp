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
  m_slices.resize(m_plan.slices.size());
  ensure_case(m_plan.cases == 0 ? 0 : m_plan.cases - 1);
}

std::uint32_t SummaryAccumulator::SliceField::intern(const std::string& value) {
  const auto [found, added] = index.emplace(value, static_cast<std::uint32_t>(values.size()));
  if (added) {
    values.push_back(value);
  }
  return found->second;
}

const std::string* SummaryAccumulator::case_slice(std::size_t field, std::size_t case_index) const {
  const SliceField& slice = m_slices[field];
  if (case_index >= slice.of_case.size() || slice.of_case[case_index] == SliceField::kNone) {
    return nullptr;
  }
  return &slice.values[slice.of_case[case_index]];
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
  for (SliceField& slice : m_slices) {
    slice.of_case.resize(m_cases, SliceField::kNone);
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
  for (std::size_t f = 0; f < m_slices.size(); ++f) {
    // eval's pre-flight found every row's value; a report's case may still lack it.
    const std::string& field = m_plan.slices[f];
    const auto value = record.vars.is_object() ? record.vars.find(field) : record.vars.end();
    const std::optional<std::string> text =
        value == record.vars.end() ? std::nullopt : slice_text(*value);
    if (!text) {
      throw UserError(
          SourceLocation{source, 0, 0}, fmt::format("case '{}'.vars.{}", record.id, field),
          value == record.vars.end() ? fmt::format("the case has no field '{}' to slice by", field)
                                     : "a slice value must be a string, number or boolean");
    }
    m_slices[f].of_case[record.index] = m_slices[f].intern(*text);
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
  for (std::size_t f = 0; f < m_slices.size() && f < other.m_slices.size(); ++f) {
    const SliceField& from = other.m_slices[f];
    for (std::size_t i = 0; i < from.of_case.size(); ++i) {
      if (from.of_case[i] != SliceField::kNone) {
        m_slices[f].of_case[i] = m_slices[f].intern(from.values[from.of_case[i]]);
      }
    }
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
  std::vector<std::size_t> all(m_cases);
  for (std::size_t i = 0; i < m_cases; ++i) {
    all[i] = i;
  }
  MetricSummary summary = summarize_metric(variant, metric, all);
  // The whole run's planned results count the cases not (yet) evaluated as unscored.
  const VariantState& state = m_variants[variant];
  std::size_t scored = 0;
  for (const std::uint16_t samples : state.samples[metric]) {
    scored += samples;
  }
  const std::size_t planned = m_plan.cases * m_plan.repeat;
  summary.unscored = planned > scored ? planned - scored : 0;
  const SummaryPlan::MetricInfo& info = m_plan.metrics[metric];
  if (summary.n > 0 && !info.corpus_kind.empty()) {
    summary.corpus = corpus_figure(info.corpus_kind, state.corpus[metric]);
  }
  if (state.judged[metric] > 0) {
    summary.pass_rate =
        static_cast<double>(state.passed[metric]) / static_cast<double>(state.judged[metric]);
  }
  return summary;
}

MetricSummary SummaryAccumulator::summarize_metric(std::size_t variant, std::size_t metric,
                                                   const std::vector<std::size_t>& members) const {
  const VariantState& state = m_variants[variant];
  const SummaryPlan::MetricInfo& info = m_plan.metrics[metric];
  std::size_t scored = 0;
  std::vector<double> values;
  values.reserve(members.size());
  for (const std::size_t i : members) {
    if (state.samples[metric][i] > 0) {
      scored += state.samples[metric][i];
      values.push_back(static_cast<double>(state.sums[metric][i]) / state.samples[metric][i]);
    }
  }
  const std::size_t planned = members.size() * m_plan.repeat;
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

std::vector<std::vector<std::pair<std::string, std::vector<std::size_t>>>>
SummaryAccumulator::slice_members() const {
  std::vector<std::vector<std::pair<std::string, std::vector<std::size_t>>>> fields;
  for (const SliceField& slice : m_slices) {
    std::vector<std::vector<std::size_t>> by_index(slice.values.size());
    for (std::size_t i = 0; i < slice.of_case.size(); ++i) {
      if (slice.of_case[i] != SliceField::kNone) {
        by_index[slice.of_case[i]].push_back(i);
      }
    }
    std::vector<std::pair<std::string, std::vector<std::size_t>>> values;
    for (const auto& [value, index] : slice.index) {  // sorted by text: shards agree
      values.emplace_back(value, std::move(by_index[index]));
    }
    fields.push_back(std::move(values));
  }
  return fields;
}

std::vector<SliceFigures> SummaryAccumulator::slice_figures() const {
  std::vector<SliceFigures> slices;
  const auto members = slice_members();
  for (std::size_t f = 0; f < members.size(); ++f) {
    for (const auto& [value, cases] : members[f]) {
      SliceFigures slice;
      slice.field = m_plan.slices[f];
      slice.value = value;
      slice.cases = cases.size();
      slice.not_gated = slice_not_gated(slice.cases, m_plan.slice_min_cases);
      for (std::size_t v = 0; v < m_variants.size(); ++v) {
        const SummaryPlan::VariantInfo& info = m_plan.variants[v];
        VariantSummary summary;
        summary.id = info.id;
        summary.prompt = info.prompt;
        summary.provider = info.provider;
        summary.model = info.model;
        summary.cases =
            static_cast<std::size_t>(std::count_if(cases.begin(), cases.end(), [&](std::size_t i) {
              return m_variants[v].results[i] > 0;
            }));
        for (std::size_t m = 0; m < m_plan.metrics.size(); ++m) {
          summary.metrics.push_back(summarize_metric(v, m, cases));
        }
        slice.variants.push_back(std::move(summary));
      }
      slices.push_back(std::move(slice));
    }
  }
  return slices;
}

std::vector<Comparison> SummaryAccumulator::comparisons() const {
  ComparisonOptions options;
  options.alpha = m_plan.alpha;
  options.min_effect = m_plan.min_effect;
  options.resample.seed = m_plan.seed;
  std::vector<PairedScores> inputs;
  const std::size_t baseline = m_plan.baseline;
  const auto members = slice_members();
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
  // The same comparisons on each slice's cases, after the overall ones, in one family.
  const std::size_t overall = inputs.size();
  for (std::size_t f = 0; f < members.size(); ++f) {
    for (const auto& [value, cases] : members[f]) {
      for (std::size_t c = 0; c < overall; ++c) {
        const PairedScores& all = inputs[c];
        PairedScores scores;
        scores.metric = all.metric;
        scores.baseline = all.baseline;
        scores.variant = all.variant;
        for (const std::size_t i : cases) {
          scores.baseline_scores.push_back(all.baseline_scores[i]);
          scores.variant_scores.push_back(all.variant_scores[i]);
        }
        scores.pass_fail = is_pass_fail(scores.baseline_scores, scores.variant_scores);
        scores.higher_is_better = all.higher_is_better;
        scores.reference = all.reference;
        scores.slice_field = m_plan.slices[f];
        scores.slice_value = value;
        inputs.push_back(std::move(scores));
      }
    }
  }
  return compare_all(inputs, options);
}

std::vector<GateResult> SummaryAccumulator::gates(const std::vector<VariantSummary>& variants,
                                                  const std::vector<SliceFigures>& slices) const {
  std::vector<GateResult> results;
  for (const GateConfig& gate : m_plan.gates) {
    if (!gate.slice) {
      for (GateResult& result : evaluate_gates({gate}, variants, m_plan.cases * m_plan.repeat)) {
        results.push_back(std::move(result));
      }
      continue;
    }
    // Variant by variant, then slice by slice: the order a report's reader rebuilds.
    for (const VariantSummary& variant : variants) {
      if (!gate.variant.empty() && gate.variant != variant.id) {
        continue;
      }
      GateConfig one = gate;
      one.slice.reset();
      one.variant = variant.id;
      bool found = false;
      for (const SliceFigures& slice : slices) {
        const bool field_matches = gate.slice->field.empty() || gate.slice->field == slice.field;
        if (!field_matches || (!gate.slice->each && gate.slice->value != slice.value)) {
          continue;
        }
        found = true;
        for (GateResult& result :
             evaluate_gates({one}, slice.variants, slice.cases * m_plan.repeat)) {
          result.slice_field = slice.field;
          result.slice_value = slice.value;
          result.slice_cases = slice.cases;
          result.gate_slice = gate.slice;
          if (!slice.not_gated.empty()) {
            // Too few cases to hold a bound against: shown, and said why, never failed.
            result.not_gated = slice.not_gated;
            result.passed = true;
          }
          results.push_back(std::move(result));
        }
      }
      if (!found && !gate.slice->each) {
        // A slice value the data does not have is an error, never a pass (eval's pre-flight
        // says so before anything is sent; a report or a merge says it here).
        GateResult result;
        result.metric = gate.metric;
        result.variant = variant.id;
        result.min = gate.min;
        result.max = gate.max;
        result.on = gate.on == GateOn::ci_low ? "ci_low" : "mean";
        result.slice_field = gate.slice->field;
        result.slice_value = gate.slice->value;
        result.missing_slice = true;
        result.gate_slice = gate.slice;
        results.push_back(std::move(result));
      }
    }
  }
  return results;
}

SummaryFigures SummaryAccumulator::figures() const {
  SummaryFigures figures;
  figures.variants = variants();
  std::vector<SliceFigures> slices = slice_figures();
  for (Comparison& comparison : comparisons()) {
    if (comparison.slice_field.empty()) {
      figures.comparisons.push_back(to_json(comparison));
      continue;
    }
    for (SliceFigures& slice : slices) {
      if (slice.field == comparison.slice_field && slice.value == comparison.slice_value) {
        slice.comparisons.push_back(std::move(comparison));
        break;
      }
    }
  }
  figures.gates = gates(figures.variants, slices);
  if (!m_plan.slices.empty()) {
    figures.slices = slices_json(m_plan, slices);
  }
  return figures;
}

}  // namespace promptbench
