// SPDX-License-Identifier: Apache-2.0
// `promptbench compare BASE.json CAND.json`: the paired comparison of two reports (README
// "Compare two reports"). Cases are paired by id; the statistics are comparison.hpp's, so
// the numbers match the in-run `comparisons` for the same scores.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/comparison.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/slices.hpp"

namespace promptbench {

/// Variant `baseline` of the base report against variant `candidate` of the candidate.
struct VariantPair {
  std::string baseline;
  std::string candidate;
};

struct CompareOptions {
  /// Metrics to compare; empty: every metric both variants of a pair report.
  std::vector<std::string> metrics;
  /// Variant pairs; empty: the variants with the same id in both reports, or, when each
  /// report has exactly one variant, those two.
  std::vector<VariantPair> variants;
  /// The cases both reports hold must be at least this fraction of the smaller report's
  /// cases (default one half); below it the reports are not comparable (UserError).
  double min_overlap = 0.5;
  /// alpha (0.05), min_effect (0) and the resampling seed.
  ComparisonOptions comparison;
  /// Dataset fields to compare each value of too (README "Slices"), read from the base
  /// report's cases; empty: the base report's own `slices.fields`.
  std::vector<std::string> slices;
  bool no_slices = false;  ///< no slices, not even the base report's
  /// Slices with fewer paired cases are compared but never count as a regression; unset:
  /// the base report's `slices.min_cases`, else kDefaultSliceMinCases.
  std::optional<std::size_t> slice_min_cases;
};

struct CaseOverlap {
  std::size_t base_cases = 0;  ///< distinct case ids in the base report
  std::size_t candidate_cases = 0;
  std::size_t common = 0;  ///< ids in both
  std::size_t only_base = 0;
  std::size_t only_candidate = 0;
};

struct ReportComparison {
  std::string base_name;  ///< the reports' names (paths), for output
  std::string candidate_name;
  CaseOverlap overlap;
  /// Per pair and metric, then the same per slice value (slice_field set), Holm-adjusted
  /// together.
  std::vector<Comparison> comparisons;
  std::vector<std::string> warnings;  ///< e.g. a partial (interrupted) report
  std::vector<std::string> slices;    ///< the slice fields compared
  std::size_t slice_min_cases = kDefaultSliceMinCases;

  /// Whether any comparison's verdict is `worse` (significant after Holm, and at least
  /// min_effect large); on a slice, only with at least slice_min_cases pairs.
  [[nodiscard]] bool regressed() const;
  /// Whether `comparison` can make regressed() true (overall, or a slice large enough).
  [[nodiscard]] bool gated(const Comparison& comparison) const;
};

/// Pairs the cases of `base` and `candidate` by id (with repeats, each case's scores are
/// averaged first) and compares every variant pair on every metric. Throws UserError when
/// a --variant or --metric is unknown, no variant or metric is in common, or the overlap
/// is below options.min_overlap.
[[nodiscard]] ReportComparison compare_reports(const ReportSource& base,
                                               const ReportSource& candidate,
                                               const CompareOptions& options);

/// The overlap line, an aligned table and a one-line tally, for a terminal.
[[nodiscard]] std::string comparison_text(const ReportComparison& result,
                                          const CompareOptions& options);
/// The same as GitHub-flavoured Markdown (the table of markdown_comparison_table).
[[nodiscard]] std::string comparison_markdown(const ReportComparison& result,
                                              const CompareOptions& options);
/// {"base": {"path", "cases"}, "candidate": {...}, "overlap": {"common", "only_base",
/// "only_candidate"}, "alpha", "min_effect", "comparisons": [the report's comparison
/// entries], "regression": bool}.
[[nodiscard]] nlohmann::ordered_json comparison_json(const ReportComparison& result,
                                                     const CompareOptions& options);

}  // namespace promptbench
