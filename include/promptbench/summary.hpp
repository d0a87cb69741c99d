// SPDX-License-Identifier: Apache-2.0
// From case results to the report's summary: one accumulator, filled from CaseRecords, that
// gives the report's `variants`, `comparisons` and `gates`. `eval` fills it as cases reach
// the report; `compare` fills it from reports. Accumulators of disjoint cases (shards of
// one run) merge: every state is a count, a sum or a list of values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/case_result.hpp"
#include "promptbench/comparison.hpp"
#include "promptbench/config.hpp"
#include "promptbench/report.hpp"
#include "promptbench/slices.hpp"

namespace promptbench {

/// Everything besides the cases that the summary depends on.
struct SummaryPlan {
  struct VariantInfo {
    std::string id;
    std::string prompt;
    std::string provider;
    std::string model;
    bool priced = false;  ///< the provider has pricing: the summary has cost_usd
  };
  struct MetricInfo {
    std::string name;
    bool higher_is_better = true;
    std::string corpus_kind;  ///< "" or a kind of corpus_figure() ("bleu")
    std::string reference{};  ///< the dataset field scored against; "" = the dataset's reference
  };
  std::vector<VariantInfo> variants;
  std::vector<MetricInfo> metrics;
  std::size_t cases = 0;     ///< the run's dataset cases (planned, not only evaluated)
  std::size_t repeat = 1;    ///< samples per case and variant
  std::uint64_t seed = 0;    ///< of the bootstrap intervals and permutation tests
  std::size_t baseline = 0;  ///< index into `variants`
  double alpha = 0.05;
  double min_effect = 0;
  std::vector<GateConfig> gates;
  /// Dataset fields whose values slice the summary, the comparisons and the gates (README
  /// "Slices"); every added case must hold them in its vars.
  std::vector<std::string> slices;
  std::size_t slice_min_cases = kDefaultSliceMinCases;  ///< smaller slices are not gated
};

/// The plan a report was summarised with, read from its head (run, variants, gates).
/// Throws UserError naming `report` and the field when the head lacks what it needs.
[[nodiscard]] SummaryPlan plan_from_report(const nlohmann::ordered_json& head,
                                           const std::string& report);

/// One value of one slice field: its cases' figures, as the whole run's are figured.
struct SliceFigures {
  std::string field;
  std::string value;
  std::size_t cases = 0;                 ///< cases with this value that have a result
  std::vector<VariantSummary> variants;  ///< id, prompt, provider, model, cases and metrics
  std::vector<Comparison> comparisons;   ///< Holm-adjusted with every other comparison
  std::string not_gated;                 ///< slice_not_gated(): "" when it is gated
};

/// The report's summary sections, as an accumulator gives them.
struct SummaryFigures {
  std::vector<VariantSummary> variants;
  nlohmann::ordered_json comparisons = nlohmann::ordered_json::array();
  std::vector<GateResult> gates;
  /// The report's `slices` section; null without slices.
  nlohmann::ordered_json slices;
};

/// The report's `slices` section: {"fields", "min_cases", "values": [{"field", "value",
/// "cases", "gated", "note"?, "variants": [{"id", "metrics"}], "comparisons"}]}.
[[nodiscard]] nlohmann::ordered_json slices_json(const SummaryPlan& plan,
                                                 const std::vector<SliceFigures>& slices);

class SummaryAccumulator {
 public:
  /// With `keep_case_ids`, the id of every case is kept too, for pairing cases of two
  /// reports by id (compare); eval does without.
  explicit SummaryAccumulator(SummaryPlan plan, bool keep_case_ids = false);

  /// Adds a finished (or, in a stopped run, partly finished) case. Results of a variant
  /// outside the plan are an error (UserError naming `source`) -- a report that does not
  /// agree with its own head.
  void add(const CaseRecord& record, const std::string& source = "");
  /// Adds the cases of `other`, an accumulator of other cases under the same plan.
  void merge(const SummaryAccumulator& other);

  [[nodiscard]] const SummaryPlan& plan() const { return m_plan; }
  /// Cases with at least one result.
  [[nodiscard]] std::size_t cases_evaluated() const;
  [[nodiscard]] std::vector<VariantSummary> variants() const;
  /// Every variant against the baseline on every metric, paired by case, Holm-adjusted as
  /// one family. With slices the family also holds the same comparisons on every slice
  /// value's cases (tagged with the slice, after the overall ones): more slices, more tests,
  /// larger adjusted p-values.
  [[nodiscard]] std::vector<Comparison> comparisons() const;
  /// Each slice value's figures, fields in the plan's order, values sorted; comparisons
  /// empty (comparisons() has them).
  [[nodiscard]] std::vector<SliceFigures> slice_figures() const;
  /// The plan's gates held against `variants` (as variants() returned them), a gate with a
  /// `slice` against `slices` (as slice_figures() returned them).
  [[nodiscard]] std::vector<GateResult> gates(const std::vector<VariantSummary>& variants,
                                              const std::vector<SliceFigures>& slices = {}) const;
  /// variants(), comparisons() (as the report's JSON), gates() and the slices together.
  [[nodiscard]] SummaryFigures figures() const;

  /// The slice values seen of plan().slices[field], in first-seen order.
  [[nodiscard]] const std::vector<std::string>& slice_values(std::size_t field) const {
    return m_slices[field].values;
  }
  /// The case's value of plan().slices[field]; null for a case never added.
  [[nodiscard]] const std::string* case_slice(std::size_t field, std::size_t case_index) const;

  /// [case]: the mean of the case's samples of `metric` in `variant`; NaN without a score.
  [[nodiscard]] std::vector<double> case_means(std::size_t variant, std::size_t metric) const;
  /// [case]: the case ids (with keep_case_ids; empty strings for cases never added).
  [[nodiscard]] const std::vector<std::string>& case_ids() const { return m_case_ids; }

 private:
  struct VariantState {
    std::vector<std::vector<float>> sums;             ///< [metric][case]; NaN = no score
    std::vector<std::vector<std::uint16_t>> samples;  ///< [metric][case]
    std::vector<std::size_t> judged;                  ///< [metric]: samples with a pass flag
    std::vector<std::size_t> passed;                  ///< [metric]
    std::vector<std::vector<double>> corpus;          ///< [metric]: summed statistics
    std::vector<std::uint16_t> results;               ///< [case]: results in the report
    std::vector<double> latencies;                    ///< ms, of answered requests
    std::vector<double> ttfts;                        ///< ms, of streamed answers
    std::size_t errors = 0;
    std::size_t cache_hits = 0;
    std::size_t attempts = 0;
    std::size_t retries = 0;
    std::map<std::string, std::size_t> errors_by_kind;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    double cost_usd = 0;
  };

  /// One slice field: its values, interned, and each case's.
  struct SliceField {
    static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::string> values;
    std::map<std::string, std::uint32_t> index;
    std::vector<std::uint32_t> of_case;  ///< [case]: index into values; kNone = not added

    std::uint32_t intern(const std::string& value);
  };

  void ensure_case(std::size_t index);
  void add_result(VariantState& state, std::size_t index, const CaseResult& result);
  [[nodiscard]] MetricSummary summarize_metric(std::size_t variant, std::size_t metric) const;
  /// summarize_metric over the cases `members` only (a slice's).
  [[nodiscard]] MetricSummary summarize_metric(std::size_t variant, std::size_t metric,
                                               const std::vector<std::size_t>& members) const;
  /// [field][value]: the positions of the cases with that value, values sorted by text.
  [[nodiscard]] std::vector<std::vector<std::pair<std::string, std::vector<std::size_t>>>>
  slice_members() const;
  [[nodiscard]] std::size_t variant_index(const std::string& id) const;

  SummaryPlan m_plan;
  bool m_keep_case_ids;
  std::size_t m_cases = 0;  ///< positions held: max(plan.cases, highest index + 1)
  std::vector<VariantState> m_variants;
  std::vector<std::string> m_case_ids;
  std::vector<SliceField> m_slices;  ///< [plan.slices]
};

/// Each gate against each variant it applies to, on the mean or the interval (GateOn). A
/// gate also fails when more of the variant's `planned_results` (cases x repeat) are
/// unscored than its `max_unscored` allows: it never passes on the survivors alone.
[[nodiscard]] std::vector<GateResult> evaluate_gates(const std::vector<GateConfig>& gates,
                                                     const std::vector<VariantSummary>& variants,
                                                     std::size_t planned_results);

class ReportSource;
/// The summary of a whole report, recomputed from its cases under the plan its head
/// records: what `eval` wrote in its `variants`, `comparisons` and `gates`, byte for byte.
[[nodiscard]] SummaryFigures summarize_report(const ReportSource& report);

}  // namespace promptbench
