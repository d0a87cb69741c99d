// SPDX-License-Identifier: Apache-2.0
// One paired comparison, a family of them under Holm's correction, and their JSON.
#include "promptbench/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace promptbench {

namespace {

nlohmann::ordered_json finite_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

Verdict decide(const Comparison& c, const ComparisonOptions& options) {
  if (c.n == 0) {
    return Verdict::no_paired_cases;
  }
  if (!(c.p_adjusted < options.alpha) || !(std::abs(c.mean_diff) >= options.min_effect) ||
      c.mean_diff == 0) {
    return Verdict::no_significant_difference;
  }
  return (c.mean_diff > 0) == c.higher_is_better ? Verdict::better : Verdict::worse;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::better:
      return "better";
    case Verdict::worse:
      return "worse";
    case Verdict::no_paired_cases:
      return "no_paired_cases";
    case Verdict::no_significant_difference:
      break;
  }
  return "no_significant_difference";
}

std::string verdict_words(std::string_view report_spelling) {
  std::string words(report_spelling);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

bool is_pass_fail(std::span<const double> baseline, std::span<const double> variant) {
  const auto binary = [](double v) { return std::isnan(v) || v == 0.0 || v == 1.0; };
  return std::all_of(baseline.begin(), baseline.end(), binary) &&
         std::all_of(variant.begin(), variant.end(), binary);
}

std::size_t align_by_case_id(const std::map<std::string, double>& baseline,
                             const std::map<std::string, double>& variant, PairedScores& out) {
  out.baseline_scores.clear();
  out.variant_scores.clear();
  std::size_t unmatched = 0;
  auto b = baseline.begin();
  auto v = variant.begin();
  while (b != baseline.end() || v != variant.end()) {
    if (v == variant.end() || (b != baseline.end() && b->first < v->first)) {
      ++unmatched;
      ++b;
    } else if (b == baseline.end() || v->first < b->first) {
      ++unmatched;
      ++v;
    } else {
      out.baseline_scores.push_back(b->second);
      out.variant_scores.push_back(v->second);
      ++b;
      ++v;
    }
  }
  return unmatched;
}

Comparison compare_paired(const PairedScores& scores, const ComparisonOptions& options) {
  if (scores.baseline_scores.size() != scores.variant_scores.size()) {
    throw std::invalid_argument("compare_paired: score vectors differ in length");
  }
  Comparison c;
  c.metric = scores.metric;
  c.baseline = scores.baseline;
  c.variant = scores.variant;
  c.higher_is_better = scores.higher_is_better;
  c.reference = scores.reference;
  c.slice_field = scores.slice_field;
  c.slice_value = scores.slice_value;
  c.test = scores.pass_fail ? "mcnemar_exact" : "permutation";
  std::vector<double> differences;
  std::size_t only_baseline = 0;  // McNemar's b: the baseline passed, the variant failed
  std::size_t only_variant = 0;   // McNemar's c
  for (std::size_t i = 0; i < scores.baseline_scores.size(); ++i) {
    const double base = scores.baseline_scores[i];
    const double var = scores.variant_scores[i];
    if (std::isnan(base) || std::isnan(var)) {
      continue;
    }
    differences.push_back(var - base);
    only_baseline += base > var ? 1 : 0;
    only_variant += var > base ? 1 : 0;
  }
  c.n = differences.size();
  c.ci95 = bootstrap_mean_interval(differences, options.resample);
  if (c.n > 0) {
    double sum = 0;
    for (double d : differences) {
      sum += d;
    }
    c.mean_diff = sum / static_cast<double>(c.n);
  }
  c.p_value = scores.pass_fail ? mcnemar_exact_p(only_baseline, only_variant)
                               : sign_flip_permutation_p(differences, options.resample);
  c.p_adjusted = c.p_value;
  c.verdict = decide(c, options);
  return c;
}

void adjust_for_multiple_comparisons(std::vector<Comparison>& comparisons,
                                     const ComparisonOptions& options) {
  std::vector<double> p_values;
  p_values.reserve(comparisons.size());
  for (const Comparison& c : comparisons) {
    p_values.push_back(c.n > 0 ? c.p_value : std::nan(""));
  }
  const std::vector<double> adjusted = holm_adjust(p_values);
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    comparisons[i].p_adjusted = std::isnan(adjusted[i]) ? 1.0 : adjusted[i];
    comparisons[i].verdict = decide(comparisons[i], options);
  }
}

std::vector<Comparison> compare_all(const std::vector<PairedScores>& inputs,
                                    const ComparisonOptions& options) {
  std::vector<Comparison> comparisons;
  comparisons.reserve(inputs.size());
  for (const PairedScores& input : inputs) {
    comparisons.push_back(compare_paired(input, options));
  }
  adjust_for_multiple_comparisons(comparisons, options);
  return comparisons;
}

nlohmann::ordered_json to_json(const Comparison& c) {
  nlohmann::ordered_json out = {{"metric", c.metric}};
  if (!c.reference.empty()) {
    out["reference"] = c.reference;
  }
  out["baseline"] = c.baseline;
  out["variant"] = c.variant;
  if (!c.slice_field.empty()) {
    out["slice"] = {{c.slice_field, c.slice_value}};
  }
  out["n"] = c.n;
  out["mean_diff"] = finite_or_null(c.mean_diff);
  out["ci95"] = {finite_or_null(c.ci95.low), finite_or_null(c.ci95.high)};
  out["test"] = c.test;
  out["p_value"] = finite_or_null(c.p_value);
  out["p_adjusted"] = finite_or_null(c.p_adjusted);
  out["verdict"] = std::string(to_string(c.verdict));
  out["higher_is_better"] = c.higher_is_better;
  return out;
}

}  // namespace promptbench
