// SPDX-License-Identifier: Apache-2.0
// `promptbench compare BASE.json CAND.json`: paired comparison of two reports; exit 1 on a
// significant regression with --fail-on-regression.
#include <iostream>
#include <limits>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/compare.hpp"
#include "promptbench/error.hpp"

namespace promptbench::cli {

namespace {

enum class CompareFormat { text, md, json };

struct CompareCommandOptions {
  std::string base;
  std::string candidate;
  std::vector<std::string> metrics;
  std::vector<std::string> variants;  ///< "A:B"
  double alpha = 0.05;
  double min_effect = 0;
  double min_overlap = 0.5;
  bool fail_on_regression = false;
  std::vector<std::string> slices;  ///< --slice FIELD
  bool no_slices = false;           ///< --no-slices: the overall comparisons alone
  std::size_t slice_min_cases = 0;  ///< --slice-min-cases; 0 = the base report's
  CompareFormat format = CompareFormat::text;
};

VariantPair parse_pair(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
      text.find(':', colon + 1) != std::string::npos) {
    throw UserError(fmt::format(
        "--variant: expected BASE_ID:CANDIDATE_ID (e.g. terse/local:terse/local), got '{}'", text));
  }
  return {text.substr(0, colon), text.substr(colon + 1)};
}

int run_compare(const CompareCommandOptions& options) {
  CompareOptions compare;
  compare.metrics = options.metrics;
  for (const std::string& pair : options.variants) {
    compare.variants.push_back(parse_pair(pair));
  }
  compare.min_overlap = options.min_overlap;
  compare.comparison.alpha = options.alpha;
  compare.comparison.min_effect = options.min_effect;
  compare.slices = options.slices;
  if (options.no_slices) {
    compare.slices.clear();
    compare.no_slices = true;
  }
  if (options.slice_min_cases > 0) {
    compare.slice_min_cases = options.slice_min_cases;
  }

  const auto base = open_report_argument(options.base);
  const auto candidate = open_report_argument(options.candidate);
  const ReportComparison result = compare_reports(*base, *candidate, compare);
  for (const std::string& warning : result.warnings) {
    std::cerr << "promptbench: warning: " << warning << "\n";
  }
  switch (options.format) {
    case CompareFormat::text:
      std::cout << comparison_text(result, compare);
      break;
    case CompareFormat::md:
      std::cout << comparison_markdown(result, compare);
      break;
    case CompareFormat::json:
      std::cout << comparison_json(result, compare).dump(2) << "\n";
      break;
  }
  if (!options.fail_on_regression || !result.regressed()) {
    return kExitOk;
  }
  for (const Comparison& c : result.comparisons) {
    if (c.verdict == Verdict::worse && result.gated(c)) {
      std::cerr << fmt::format(
          "promptbench: regression: {} {} -> {}{}: mean {:+.4g} (95% CI [{:.4g}, {:.4g}]), p = "
          "{:.3g} "
          "after Holm\n",
          c.metric, c.baseline, c.variant,
          c.slice_field.empty() ? "" : " on " + slice_label(c.slice_field, c.slice_value),
          c.mean_diff, c.ci95.low, c.ci95.high, c.p_adjusted);
    }
  }
  return kExitGateFailed;
}

}  // namespace

void setup_compare(CLI::App& app, CommandState& state) {
  auto options = std::make_shared<CompareCommandOptions>();
  CLI::App* compare = app.add_subcommand("compare",
                                         "Paired comparison of two reports (exit 1 on a regression "
                                         "with --fail-on-regression)");
  compare->add_option("base", options->base, "The baseline report JSON")
      ->required()
      ->type_name("BASE.json");
  compare->add_option("candidate", options->candidate, "The candidate report JSON")
      ->required()
      ->type_name("CAND.json");
  compare
      ->add_option("--metric", options->metrics,
                   "Compare only this metric (repeatable; default: every metric in both)")
      ->allow_extra_args(false);
  compare
      ->add_option("--variant", options->variants,
                   "Variant A of BASE against variant B of CAND, as A:B (repeatable; default: "
                   "the same ids, or the only variant of each)")
      ->allow_extra_args(false);
  compare->add_option("--alpha", options->alpha, "Significance level after Holm's correction")
      ->capture_default_str()
      ->check(number_between(0, 1, "a significance level"));
  compare
      ->add_option("--min-effect", options->min_effect,
                   "Differences smaller than this (absolute, in the metric's unit) never count")
      ->capture_default_str()
      ->check(number_between(0, std::numeric_limits<double>::infinity(), "a number"));
  compare
      ->add_option("--min-overlap", options->min_overlap,
                   "Fraction of the smaller report's cases that must be in both (0..1)")
      ->capture_default_str()
      ->check(number_between(0, 1, "a fraction"));
  compare->add_flag("--fail-on-regression", options->fail_on_regression,
                    "Exit 1 when a metric is significantly worse in CAND");
  compare
      ->add_option("--slice", options->slices,
                   "Compare each value of this dataset field too, Holm-adjusted with the rest "
                   "(repeatable; default: the base report's slices)")
      ->allow_extra_args(false);
  compare->add_flag("--no-slices", options->no_slices,
                    "Compare the whole reports only, not their slices");
  compare
      ->add_option("--slice-min-cases", options->slice_min_cases,
                   "A slice with fewer paired cases never counts as a regression (default: the "
                   "base report's slice_min_cases, else 30)")
      ->check(whole_number(1));
  const std::vector<std::pair<std::string, CompareFormat>> formats = {
      {"text", CompareFormat::text}, {"md", CompareFormat::md}, {"json", CompareFormat::json}};
  compare->add_option("--format", options->format, "Output: text, md or json")
      ->transform(one_of(formats));
  compare->callback([options, &state] { state.exit_code = run_compare(*options); });
}

}  // namespace promptbench::cli
