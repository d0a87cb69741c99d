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
};

/// The plan a report was summarised with, read from its head (run, variants, gates).
/// Throws UserError naming `report` and the field when the head lacks what it needs.
[[nodiscard]] SummaryPlan plan_from_report(const nlohmann::ordered_json& head,
                                           const std::string& report);

/// The report's summary sections, as an accumulator gives them.
struct SummaryFigures {
  std::vector<VariantSummary> variants;
  nlohmann::ordered_json comparisons = nlohmann::ordered_json::array();
  std::vector<GateResult> gates;
};

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
  /// one family.
  [[nodiscard]] std::vector<Comparison> comparisons() const;
  /// The plan's gates held against `variants` (as variants() returned them).
  [[nodiscard]] std::vector<GateResult> gates(const std::vector<VariantSummary>& variants) const;
  /// variants(), comparisons() (as the report's JSON) and gates() together.
  [[nodiscard]] SummaryFigures figures() const;

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

  void ensure_case(std::size_t index);
  void add_result(VariantState& state, std::size_t index, const CaseResult& result);
  [[nodiscard]] MetricSummary summarize_metric(std::size_t variant, std::size_t metric) const;
  [[nodiscard]] std::size_t variant_index(const std::string& id) const;

  SummaryPlan m_plan;
  bool m_keep_case_ids;
  std::size_t m_cases = 0;  ///< positions held: max(plan.cases, highest index + 1)
  std::vector<VariantState> m_variants;
  std::vector<std::string> m_case_ids;
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
