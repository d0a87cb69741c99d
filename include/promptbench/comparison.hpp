// SPDX-License-Identifier: Apache-2.0
// Paired comparison of two variants on one metric (README "Statistics"):
// the mean difference, its paired bootstrap interval, a p-value (exact McNemar for pass/fail
// scores, sign-flip permutation otherwise), Holm's correction across a family of
// comparisons and a verdict. Used by `eval` (every variant against the baseline) and by
// `compare` (two reports); both give the same numbers for the same scores and seed.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "promptbench/stats.hpp"

namespace promptbench {

/// `no_paired_cases`: no case was scored on both sides, so nothing can be said -- never
/// read as "no difference".
enum class Verdict { better, worse, no_significant_difference, no_paired_cases };

/// "better", "worse", "no_significant_difference" or "no_paired_cases" (the report's
/// spelling).
[[nodiscard]] std::string_view to_string(Verdict verdict);
/// A verdict as people read it: "no significant difference", "no paired cases".
[[nodiscard]] std::string verdict_words(std::string_view report_spelling);

/// The input of one comparison: per-case scores of two variants, position i of both vectors
/// being the same case (pair them by case id first, e.g. with align_by_case_id). NaN marks a
/// case without a score; such a pair is left out. With repeated samples, pass each case's
/// mean (the case is the unit).
struct PairedScores {
  std::string metric;
  std::string baseline;  ///< variant id, e.g. "terse/local"
  std::string variant;
  std::vector<double> baseline_scores;
  std::vector<double> variant_scores;  ///< same length as baseline_scores
  /// Scores are 0/1 pass/fail: the exact McNemar test on the discordant pairs. Otherwise
  /// the sign-flip permutation test on the differences. See is_pass_fail().
  bool pass_fail = false;
  bool higher_is_better = true;
  std::string reference{};    ///< the metric's own reference field; "" = the dataset's reference
  std::string slice_field{};  ///< the comparison of one slice's cases: its field and value
  std::string slice_value{};
};

struct ComparisonOptions {
  double alpha = 0.05;       ///< significance level for the verdict, after Holm's correction
  double min_effect = 0;     ///< a |mean_diff| below this is never a significant difference
  ResampleOptions resample;  ///< seed and resamples of the bootstrap / Monte Carlo test
};

struct Comparison {
  std::string metric;
  std::string baseline;
  std::string variant;
  std::size_t n = 0;  ///< pairs where both variants have a score
  /// mean(variant - baseline) over the pairs; NaN when n = 0
  double mean_diff = std::numeric_limits<double>::quiet_NaN();
  Interval ci95;     ///< paired bootstrap interval of mean_diff; NaN ends when n = 0
  std::string test;  ///< "mcnemar_exact" or "permutation"
  double p_value = 1;
  double p_adjusted = 1;  ///< Holm-adjusted within the family (= p_value until adjusted)
  Verdict verdict = Verdict::no_significant_difference;
  bool higher_is_better = true;
  /// The dataset field the metric was scored against, when not the dataset's reference;
  /// to_json writes it right after "metric", and leaves it out when empty.
  std::string reference{};
  /// A comparison on one slice's cases (README "Slices"): the field and its value; to_json
  /// writes {"slice": {FIELD: VALUE}} right after "variant". Empty: all the cases.
  std::string slice_field{};
  std::string slice_value{};
};

/// Whether every score present (not NaN) in both spans is exactly 0 or 1 -- a pass/fail
/// metric, compared with McNemar's test. Per-case means of repeated samples usually are not.
[[nodiscard]] bool is_pass_fail(std::span<const double> baseline, std::span<const double> variant);

/// Fills `baseline_scores` and `variant_scores` of `out` from two case-id -> score maps,
/// keeping the ids present in both, in id order. Returns the number of ids only one side
/// has (for "overlap" messages).
std::size_t align_by_case_id(const std::map<std::string, double>& baseline,
                             const std::map<std::string, double>& variant, PairedScores& out);

/// One comparison on its own: p_adjusted = p_value and the verdict from p_value. Throws
/// std::invalid_argument when the score vectors differ in length. Deterministic for
/// options.resample.seed.
[[nodiscard]] Comparison compare_paired(const PairedScores& scores,
                                        const ComparisonOptions& options = {});

/// Holm-Bonferroni across the family: sets every p_adjusted, then every verdict --
/// `better` or `worse` (by the sign of mean_diff and higher_is_better) when p_adjusted <
/// options.alpha and |mean_diff| >= options.min_effect, else no_significant_difference.
/// Comparisons with n = 0 are not part of the family (p_adjusted 1).
void adjust_for_multiple_comparisons(std::vector<Comparison>& comparisons,
                                     const ComparisonOptions& options = {});

/// compare_paired over every input, then adjust_for_multiple_comparisons.
[[nodiscard]] std::vector<Comparison> compare_all(const std::vector<PairedScores>& inputs,
                                                  const ComparisonOptions& options = {});

/// The report's shape: {"metric", "baseline", "variant", ("slice",) "n", "mean_diff",
/// "ci95": [low, high], "test", "p_value", "p_adjusted", "verdict", "higher_is_better"};
/// non-finite numbers become null.
[[nodiscard]] nlohmann::ordered_json to_json(const Comparison& comparison);

}  // namespace promptbench
