// SPDX-License-Identifier: Apache-2.0
// What `compare` prints: an aligned text table, Markdown, or JSON in the report's
// `comparisons` shape.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "promptbench/compare.hpp"
#include "report/render_support.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

std::string number(double value) {
  return report::format_number(value);
}

std::string signed_number(double value) {
  return std::isfinite(value) && value > 0 ? "+" + number(value) : number(value);
}

std::string p_value(double p) {
  if (!std::isfinite(p)) {
    return "-";
  }
  return p < 0.0001 ? "<0.0001" : fmt::format("{:.4f}", p);
}

std::string overlap_line(const ReportComparison& r) {
  return fmt::format("{} case{} in both, {} only in {}, {} only in {}", r.overlap.common,
                     r.overlap.common == 1 ? "" : "s", r.overlap.only_base, r.base_name,
                     r.overlap.only_candidate, r.candidate_name);
}

std::string tally(const ReportComparison& r, const CompareOptions& options) {
  std::size_t worse = 0;
  std::size_t better = 0;
  std::size_t unpaired = 0;
  for (const Comparison& c : r.comparisons) {
    worse += c.verdict == Verdict::worse ? 1 : 0;
    better += c.verdict == Verdict::better ? 1 : 0;
    unpaired += c.verdict == Verdict::no_paired_cases ? 1 : 0;
  }
  const std::size_t same = r.comparisons.size() - worse - better - unpaired;
  std::string line = fmt::format(
      "{} worse, {} better, {} no significant difference{} (alpha {:g} after Holm across {} "
      "comparison{}",
      worse, better, same, unpaired > 0 ? fmt::format(", {} with no paired cases", unpaired) : "",
      options.comparison.alpha, r.comparisons.size(), r.comparisons.size() == 1 ? "" : "s");
  if (options.comparison.min_effect > 0) {
    line += fmt::format(", minimum effect {:g}", options.comparison.min_effect);
  }
  return line + ")";
}

/// What the slices show that the overall comparison of the same pair and metric does not:
/// "worse on language=de (-0.250, p=0.0010 Holm-adjusted, n=40); overall: no significant
/// difference", as slice_findings words it for eval.
std::vector<std::string> slice_lines(const ReportComparison& r) {
  std::vector<std::string> lines;
  for (const Comparison& c : r.comparisons) {
    if (c.slice_field.empty() || (c.verdict != Verdict::worse && c.verdict != Verdict::better)) {
      continue;
    }
    const auto overall =
        std::find_if(r.comparisons.begin(), r.comparisons.end(), [&](const auto& o) {
          return o.slice_field.empty() && o.metric == c.metric && o.baseline == c.baseline &&
                 o.variant == c.variant;
        });
    if (overall != r.comparisons.end() && overall->verdict == c.verdict) {
      continue;
    }
    lines.push_back(fmt::format(
        "{} {} -> {}: {} on {} ({}, p{}{} Holm-adjusted, n={}); overall: {}{}", c.metric,
        c.baseline, c.variant, to_string(c.verdict), slice_label(c.slice_field, c.slice_value),
        signed_number(c.mean_diff), c.p_adjusted < 0.0001 ? "" : "=", p_value(c.p_adjusted), c.n,
        overall == r.comparisons.end() ? "-" : verdict_words(to_string(overall->verdict)),
        r.gated(c) ? "" : " (" + slice_not_gated(c.n, r.slice_min_cases) + ")"));
  }
  return lines;
}

}  // namespace

std::string comparison_text(const ReportComparison& r, const CompareOptions& options) {
  std::string out = fmt::format(
      "base:      {} ({} cases)\ncandidate: {} ({} cases)\noverlap:   {}\n\n", r.base_name,
      r.overlap.base_cases, r.candidate_name, r.overlap.candidate_cases, overlap_line(r));
  std::vector<std::vector<std::string>> rows = {{"metric", "baseline", "candidate", "n", "Δ mean",
                                                 "95% CI", "test", "p", "p (Holm)", "verdict"}};
  const bool sliced = !r.slices.empty();
  if (sliced) {
    rows.front().insert(rows.front().begin() + 1, "slice");
  }
  for (const Comparison& c : r.comparisons) {
    rows.push_back({report::metric_label(c.metric, c.reference), c.baseline, c.variant,
                    std::to_string(c.n), signed_number(c.mean_diff),
                    fmt::format("[{}, {}]", number(c.ci95.low), number(c.ci95.high)), c.test,
                    p_value(c.p_value), p_value(c.p_adjusted),
                    verdict_words(to_string(c.verdict))});
    if (sliced) {
      rows.back().insert(rows.back().begin() + 1,
                         c.slice_field.empty() ? "all" : slice_label(c.slice_field, c.slice_value));
    }
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], util::display_width(row[i]));
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : util::pad_right(row[i], widths[i] + 2);
    }
    out += line + "\n";
  }
  out += "\n" + tally(r, options) + "\n";
  for (const std::string& line : slice_lines(r)) {
    out += line + "\n";
  }
  return out;
}

std::string comparison_markdown(const ReportComparison& r, const CompareOptions& options) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const Comparison& c : r.comparisons) {
    entries.push_back(to_json(c));
  }
  std::string findings;
  for (const std::string& line : slice_lines(r)) {
    findings += "\n- " + markdown_cell(line);
  }
  return fmt::format(
      "### promptbench compare\n\n{} (base, {} cases) → {} (candidate, {} cases): "
      "{}.\n\n{}\n{}.\n{}",
      markdown_cell(r.base_name), r.overlap.base_cases, markdown_cell(r.candidate_name),
      r.overlap.candidate_cases, markdown_cell(overlap_line(r)), markdown_comparison_table(entries),
      tally(r, options), findings.empty() ? "" : findings.substr(1) + "\n");
}

nlohmann::ordered_json comparison_json(const ReportComparison& r, const CompareOptions& options) {
  nlohmann::ordered_json comparisons = nlohmann::ordered_json::array();
  for (const Comparison& c : r.comparisons) {
    comparisons.push_back(to_json(c));
  }
  return {{"base", {{"path", r.base_name}, {"cases", r.overlap.base_cases}}},
          {"candidate", {{"path", r.candidate_name}, {"cases", r.overlap.candidate_cases}}},
          {"overlap",
           {{"common", r.overlap.common},
            {"only_base", r.overlap.only_base},
            {"only_candidate", r.overlap.only_candidate}}},
          {"alpha", options.comparison.alpha},
          {"min_effect", options.comparison.min_effect},
          {"slices", {{"fields", r.slices}, {"min_cases", r.slice_min_cases}}},
          {"comparisons", std::move(comparisons)},
          {"regression", r.regressed()}};
}

}  // namespace promptbench
