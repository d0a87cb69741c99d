// SPDX-License-Identifier: Apache-2.0
// compare_reports: choose the variant pairs and metrics, sum both reports' cases with the
// summary accumulator (repeats averaged per case), check the overlap, and run the paired
// comparisons.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "promptbench/compare.hpp"
#include "promptbench/error.hpp"
#include "promptbench/summary.hpp"
#include "report/render_support.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

using report::Json;

/// One report's side: its cases summed by the report's own plan, case ids kept.
struct Side {
  const ReportSource* report = nullptr;
  SummaryAccumulator summary;
  std::set<std::string> ids;
};

std::vector<std::string> variant_ids(const ReportSource& report) {
  std::vector<std::string> ids;
  for (const Json& variant : report.head()["variants"]) {
    ids.push_back(variant["id"].get<std::string>());
  }
  return ids;
}

const Json* find_variant(const ReportSource& report, const std::string& id) {
  for (const Json& variant : report.head()["variants"]) {
    if (variant["id"] == id) {
      return &variant;
    }
  }
  return nullptr;
}

std::vector<std::string> metrics_of(const Json& variant) {
  std::vector<std::string> names;
  if (const auto metrics = variant.find("metrics"); metrics != variant.end()) {
    for (const auto& [name, summary] : metrics->items()) {
      names.push_back(name);
    }
  }
  return names;
}

bool higher_is_better(const Json& variant, const std::string& metric) {
  const auto metrics = variant.find("metrics");
  if (metrics == variant.end() || !metrics->contains(metric)) {
    return true;
  }
  return report::bool_at((*metrics)[metric], "higher_is_better", true);
}

/// The dataset field `metric` of `variant` was scored against, when the metric named one
/// (its `reference:`); "" for the dataset's reference.
std::string reference_field(const Json& variant, const std::string& metric) {
  const auto metrics = variant.find("metrics");
  if (metrics == variant.end() || !metrics->contains(metric)) {
    return {};
  }
  return report::text_at((*metrics)[metric], "reference");
}

void require_variant(const ReportSource& report, const std::string& id, const std::string& flag) {
  if (find_variant(report, id) == nullptr) {
    const auto ids = variant_ids(report);
    throw UserError(fmt::format("{}: {} has no variant '{}'{}; it has: {}", flag, report.name(), id,
                                util::did_you_mean(id, ids), fmt::join(ids, ", ")));
  }
}

std::vector<VariantPair> choose_pairs(const ReportSource& base, const ReportSource& candidate,
                                      const CompareOptions& options) {
  if (!options.variants.empty()) {
    for (const VariantPair& pair : options.variants) {
      const std::string flag = fmt::format("--variant {}:{}", pair.baseline, pair.candidate);
      require_variant(base, pair.baseline, flag);
      require_variant(candidate, pair.candidate, flag);
    }
    return options.variants;
  }
  const auto base_ids = variant_ids(base);
  const auto candidate_ids = variant_ids(candidate);
  std::vector<VariantPair> pairs;
  for (const std::string& id : base_ids) {
    if (std::find(candidate_ids.begin(), candidate_ids.end(), id) != candidate_ids.end()) {
      pairs.push_back({id, id});
    }
  }
  if (pairs.empty() && base_ids.size() == 1 && candidate_ids.size() == 1) {
    pairs.push_back({base_ids.front(), candidate_ids.front()});
  }
  if (pairs.empty()) {
    throw UserError(fmt::format(
        "no variant id is in both reports ({}: {}; {}: {}); choose the pair with --variant "
        "BASE_ID:CANDIDATE_ID",
        base.name(), fmt::join(base_ids, ", "), candidate.name(), fmt::join(candidate_ids, ", ")));
  }
  return pairs;
}

/// The metrics compared for `pair`: --metric's (each must be in both variants), else every
/// metric both report, in the base report's order.
std::vector<std::string> choose_metrics(const ReportSource& base, const ReportSource& candidate,
                                        const VariantPair& pair, const CompareOptions& options) {
  const auto base_metrics = metrics_of(*find_variant(base, pair.baseline));
  const auto candidate_metrics = metrics_of(*find_variant(candidate, pair.candidate));
  const auto has = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  if (!options.metrics.empty()) {
    for (const std::string& metric : options.metrics) {
      for (const auto& [report, variant, list] :
           {std::tuple{&base, &pair.baseline, &base_metrics},
            std::tuple{&candidate, &pair.candidate, &candidate_metrics}}) {
        if (!has(*list, metric)) {
          throw UserError(
              fmt::format("--metric {}: variant '{}' of {} has no metric '{}'{}; it "
                          "has: {}",
                          metric, *variant, report->name(), metric,
                          util::did_you_mean(metric, *list), fmt::join(*list, ", ")));
        }
      }
    }
    return options.metrics;
  }
  std::vector<std::string> common;
  for (const std::string& metric : base_metrics) {
    if (has(candidate_metrics, metric)) {
      common.push_back(metric);
    }
  }
  if (common.empty()) {
    throw UserError(
        fmt::format("variant '{}' of {} and variant '{}' of {} have no metric in common",
                    pair.baseline, base.name(), pair.candidate, candidate.name()));
  }
  return common;
}

/// One report's side; with `slices`, each case's value of those fields is kept (the base's
/// values group the pairs).
Side load_side(const ReportSource& report, const std::vector<std::string>& slices) {
  SummaryPlan plan = plan_from_report(report.head(), report.name());
  plan.slices = slices;
  Side side{&report, SummaryAccumulator(std::move(plan), true), {}};
  report.for_each_record([&](CaseRecord&& record) {
    side.ids.insert(record.id);
    side.summary.add(record, report.name());
  });
  return side;
}

/// Case id -> the case's mean score of `metric` in `variant`, for the cases that have one.
std::map<std::string, double> case_means(const Side& side, const std::string& variant,
                                         const std::string& metric) {
  const SummaryPlan& plan = side.summary.plan();
  std::map<std::string, double> means;
  for (std::size_t v = 0; v < plan.variants.size(); ++v) {
    for (std::size_t m = 0; m < plan.metrics.size(); ++m) {
      if (plan.variants[v].id != variant || plan.metrics[m].name != metric) {
        continue;
      }
      const std::vector<double> values = side.summary.case_means(v, m);
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isnan(values[i])) {
          means.emplace(side.summary.case_ids()[i], values[i]);
        }
      }
    }
  }
  return means;
}

/// The base's case ids with each value of slice field `field`, values sorted.
std::map<std::string, std::set<std::string>> slice_cases(const Side& side, std::size_t field) {
  std::map<std::string, std::set<std::string>> values;
  const auto& ids = side.summary.case_ids();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (const std::string* value = side.summary.case_slice(field, i)) {
      values[*value].insert(ids[i]);
    }
  }
  return values;
}

std::map<std::string, double> only(const std::map<std::string, double>& means,
                                   const std::set<std::string>& ids) {
  std::map<std::string, double> kept;
  for (const auto& [id, mean] : means) {
    if (ids.count(id) != 0) {
      kept.emplace(id, mean);
    }
  }
  return kept;
}

/// --slice, else the fields the base report was sliced by.
std::vector<std::string> choose_slices(const ReportSource& base, const CompareOptions& options) {
  if (!options.slices.empty() || options.no_slices) {
    return options.slices;
  }
  return plan_from_report(base.head(), base.name()).slices;
}

CaseOverlap overlap_of(const Side& base, const Side& candidate) {
  CaseOverlap overlap;
  overlap.base_cases = base.ids.size();
  overlap.candidate_cases = candidate.ids.size();
  std::vector<std::string> common;
  std::set_intersection(base.ids.begin(), base.ids.end(), candidate.ids.begin(),
                        candidate.ids.end(), std::back_inserter(common));
  overlap.common = common.size();
  overlap.only_base = overlap.base_cases - overlap.common;
  overlap.only_candidate = overlap.candidate_cases - overlap.common;
  return overlap;
}

void check_overlap(const CaseOverlap& overlap, const ReportSource& base,
                   const ReportSource& candidate, double min_overlap) {
  const std::size_t smaller = std::min(overlap.base_cases, overlap.candidate_cases);
  const double needed = min_overlap * static_cast<double>(smaller);
  if (overlap.common > 0 && static_cast<double>(overlap.common) >= needed) {
    return;
  }
  throw UserError(fmt::format(
      "{} and {} have {} case{} in common ({} only in {}, {} only in {}); at least {:g}% of the "
      "smaller report's {} cases must be in both (--min-overlap {:g}) for a paired comparison",
      base.name(), candidate.name(), overlap.common, overlap.common == 1 ? "" : "s",
      overlap.only_base, base.name(), overlap.only_candidate, candidate.name(), min_overlap * 100,
      smaller, min_overlap));
}

void note_partial(const ReportSource& report, std::vector<std::string>& warnings) {
  const Json run = report.head().value("run", Json::object());
  if (!report::bool_at(run, "complete", true)) {
    const std::string reason = report::text_at(run, "stop_reason");
    warnings.push_back(fmt::format("{} is a partial report{}; only its finished cases are compared",
                                   report.name(), reason.empty() ? "" : " (" + reason + ")"));
  }
}

/// A metric scored against one field in the base and another in the candidate compares two
/// different questions; said, not refused (a renamed column is a fair comparison).
void note_other_reference(const PairedScores& scores, const std::string& candidate_field,
                          const ReportSource& base, const ReportSource& candidate,
                          std::vector<std::string>& warnings) {
  if (candidate_field == scores.reference) {
    return;
  }
  const auto field = [](const std::string& name) {
    return name.empty() ? std::string("the dataset's reference") : "field \"" + name + "\"";
  };
  warnings.push_back(fmt::format("{} {} -> {}: scored against {} in {} but {} in {}", scores.metric,
                                 scores.baseline, scores.variant, field(scores.reference),
                                 base.name(), field(candidate_field), candidate.name()));
}

}  // namespace

bool ReportComparison::gated(const Comparison& comparison) const {
  return comparison.slice_field.empty() || comparison.n >= slice_min_cases;
}

bool ReportComparison::regressed() const {
  return std::any_of(comparisons.begin(), comparisons.end(), [this](const Comparison& c) {
    return c.verdict == Verdict::worse && gated(c);
  });
}

ReportComparison compare_reports(const ReportSource& base, const ReportSource& candidate,
                                 const CompareOptions& options) {
  const std::vector<VariantPair> pairs = choose_pairs(base, candidate, options);
  std::vector<std::vector<std::string>> metrics;
  for (const VariantPair& pair : pairs) {
    metrics.push_back(choose_metrics(base, candidate, pair, options));
  }
  ReportComparison result;
  result.slices = choose_slices(base, options);
  result.slice_min_cases =
      options.slice_min_cases.value_or(plan_from_report(base.head(), base.name()).slice_min_cases);
  const Side base_side = load_side(base, result.slices);
  const Side candidate_side = load_side(candidate, {});

  result.base_name = base.name();
  result.candidate_name = candidate.name();
  result.overlap = overlap_of(base_side, candidate_side);
  check_overlap(result.overlap, base, candidate, options.min_overlap);
  note_partial(base, result.warnings);
  note_partial(candidate, result.warnings);

  std::vector<PairedScores> inputs;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    for (const std::string& metric : metrics[p]) {
      PairedScores scores;
      scores.metric = metric;
      scores.baseline = pairs[p].baseline;
      scores.variant = pairs[p].candidate;
      align_by_case_id(case_means(base_side, pairs[p].baseline, metric),
                       case_means(candidate_side, pairs[p].candidate, metric), scores);
      scores.pass_fail = is_pass_fail(scores.baseline_scores, scores.variant_scores);
      scores.higher_is_better = higher_is_better(*find_variant(base, pairs[p].baseline), metric);
      scores.reference = reference_field(*find_variant(base, pairs[p].baseline), metric);
      note_other_reference(scores,
                           reference_field(*find_variant(candidate, pairs[p].candidate), metric),
                           base, candidate, result.warnings);
      inputs.push_back(std::move(scores));
    }
  }
  // Each slice value's cases (the base's values), in the same family as the overall ones.
  std::size_t input = 0;
  std::vector<PairedScores> sliced;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    for (const std::string& metric : metrics[p]) {
      const auto base_means = case_means(base_side, pairs[p].baseline, metric);
      const auto candidate_means = case_means(candidate_side, pairs[p].candidate, metric);
      for (std::size_t f = 0; f < result.slices.size(); ++f) {
        for (const auto& [value, ids] : slice_cases(base_side, f)) {
          PairedScores scores = inputs[input];
          align_by_case_id(only(base_means, ids), only(candidate_means, ids), scores);
          scores.pass_fail = is_pass_fail(scores.baseline_scores, scores.variant_scores);
          scores.slice_field = result.slices[f];
          scores.slice_value = value;
          sliced.push_back(std::move(scores));
        }
      }
      ++input;
    }
  }
  std::move(sliced.begin(), sliced.end(), std::back_inserter(inputs));
  result.comparisons = compare_all(inputs, options.comparison);
  if (std::all_of(result.comparisons.begin(), result.comparisons.end(),
                  [](const Comparison& c) { return c.n == 0; })) {
    // Cases in common, but none scored in both (every request failed on one side): there
    // is nothing to compare, and "no significant difference" would pass a broken run.
    throw UserError(fmt::format(
        "no case has a score in both {} and {} (errors or missing metrics on every common case)",
        base.name(), candidate.name()));
  }
  return result;
}

}  // namespace promptbench
