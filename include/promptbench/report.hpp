// SPDX-License-Identifier: Apache-2.0
// Reports (README "Report"): the summary types of the JSON report, the source of truth.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/shard.hpp"
#include "promptbench/slices.hpp"

namespace promptbench {

inline constexpr int kReportSchemaVersion = 1;

/// One metric of one variant. With n == 0 every figure is meaningless: the JSON report writes
/// `mean`, `stddev`, `stderr` and `ci95` as null, never 0 and [0, 0].
struct MetricSummary {
  std::string name;
  std::size_t n = 0;  ///< cases with a score
  /// Results (case x repeat) of the run that have no score for this metric: the request,
  /// the extraction, the judge or the scorer failed, or the run stopped before them.
  std::size_t unscored = 0;
  double mean = 0;
  double stddev = 0;
  double stderr_ = 0;
  double ci_low = 0;
  double ci_high = 0;
  bool higher_is_better = true;
  std::optional<double> pass_rate;  ///< when the metric has pass/fail
  std::optional<double> corpus;     ///< the corpus-level figure (bleu: corpus BLEU)
  std::string corpus_kind;          ///< what `corpus` is ("bleu"); empty for none
  std::string reference{};          ///< the metric's own reference field; empty: the dataset's
};

struct VariantSummary {
  std::string id;  ///< "prompt/provider"
  std::string prompt;
  std::string provider;
  std::string model;
  std::size_t cases = 0;
  std::size_t errors = 0;
  std::size_t cache_hits = 0;
  std::size_t attempts = 0;  ///< HTTP requests sent, retries included
  std::size_t retries = 0;
  std::map<std::string, std::size_t> errors_by_kind;
  std::vector<MetricSummary> metrics;
  std::optional<double> latency_p50;
  std::optional<double> latency_p90;
  std::optional<double> latency_p99;
  /// Time to the first content token, of the streamed answers; absent when none was.
  std::optional<double> ttft_p50;
  std::optional<double> ttft_p90;
  std::optional<double> ttft_p99;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::optional<double> cost_usd;  ///< when the provider has pricing
};

struct GateResult {
  std::string metric;
  std::string variant;
  std::optional<double> min;
  std::optional<double> max;
  std::string on = "mean";       ///< "mean" or "ci_low" (then `max` is held against ci_high)
  std::optional<double> value;   ///< the mean; absent when the variant has no score for the metric
  std::size_t unscored = 0;      ///< results without a score (MetricSummary::unscored)
  std::size_t max_unscored = 0;  ///< how many of them the gate tolerates
  std::optional<double> max_unscored_percent;  ///< when `max_unscored` was a percentage
  std::optional<double> ci_low;                ///< the metric's 95% interval
  std::optional<double> ci_high;
  bool passed = false;
  /// How far the figure held against a bound lies on the wrong side of it; absent when the
  /// gate passed, there is no score, or it failed on unscored results alone.
  std::optional<double> shortfall;
  /// A gate on one slice (README "Slices"): its field and value, and its cases.
  std::string slice_field;
  std::string slice_value;
  std::size_t slice_cases = 0;
  /// Why the slice was not gated ("n=12 < 30: not gated"); then `passed` is true.
  std::string not_gated;
  /// The gate names a slice value no case has: failed.
  bool missing_slice = false;
  /// The gate's `slice:` as configured (`each` expands to one result per value): what a
  /// report's reader rebuilds the gate from.
  std::optional<GateSlice> gate_slice;
};

/// Why a gate failed, for people: "chat/local exact_match: ci_low 0.7512 < min 0.8 (short by
/// 0.04883)" or "chat/local exact_match: no score (min 0.8)".
[[nodiscard]] std::string describe_gate_failure(const GateResult& gate);

/// The first failure of one kind of work, for the message that says why a run failed.
struct FirstError {
  std::size_t case_index = 0;  ///< position in the dataset: the "first" error is the earliest
  std::string case_id;
  std::string variant;
  std::string source;   ///< "" for a model request; "judge grader", "metric quality"
  std::string kind;     ///< network, timeout, http_status, ..., unreadable_verdict, scorer
  int http_status = 0;  ///< for http_status
  std::string message;  ///< the server's, scorer's or parser's own words (redacted)
};

/// Failures of one kind of work after its retries: model requests, judge requests, or
/// external scorer calls.
struct ErrorTally {
  std::size_t failed = 0;
  std::size_t total = 0;                       ///< finished (answered, cached or failed)
  std::map<std::string, std::size_t> by_kind;  ///< failed, by RequestError kind
  /// The failure of the earliest case in dataset order, and within it of the variant id that
  /// sorts first (so the same failures name the same case and variant whatever order the
  /// answers came in, in one run or in merged shards).
  std::optional<FirstError> first;

  void add_success() { ++total; }
  void add_failure(FirstError error);
};

/// Everything that failed in a run, and how much of it the run tolerates (`max_errors`).
struct RunErrors {
  ErrorTally requests;  ///< to the variants' providers
  ErrorTally judges;    ///< llm_judge: failed requests and replies with no readable verdict
  ErrorTally scorers;   ///< command metric: crashed, timed out or garbled replies
  std::size_t allowed = 0;
  /// Outputs the extraction could not read: the model's failure, not the run's; they are
  /// left unscored (and so fail the gates), but do not count against `allowed`.
  std::size_t extract_failures = 0;

  [[nodiscard]] std::size_t failed() const {
    return requests.failed + judges.failed + scorers.failed;
  }
  [[nodiscard]] bool exceed_allowance() const { return failed() > allowed; }
};

/// One failure for people: "http_status 401: Incorrect API key provided" (a provider's
/// "HTTP 401: " prefix is dropped, the kind already says it), "timeout: ...".
[[nodiscard]] std::string describe_error(std::string_view kind, int http_status,
                                         std::string_view message);

/// The lines `eval` prints on stderr about the failures: one per kind of work that failed
/// ("20 of 20 requests failed (http_status 401: Incorrect API key provided); first: case 0,
/// variant p/s"), none when nothing failed.
[[nodiscard]] std::vector<std::string> describe_errors(const RunErrors& errors);

/// Requests sent to one replica of a provider with `base_urls:`, retries included, and how
/// many of them could not connect or timed out.
struct ReplicaCount {
  std::string provider;
  std::string base_url;
  std::size_t requests = 0;
  std::size_t failures = 0;
};

struct RunInfo {
  std::string name;
  std::string started_at;  ///< ISO 8601 UTC
  std::string finished_at;
  bool complete = true;
  std::string stop_reason;  ///< why an incomplete run stopped: interrupted, max_errors, ...
  std::string stop_detail;  ///< for stderr, not written to the report: the cache's failure
  std::string config_sha256;
  std::string dataset_path;
  std::string dataset_sha256;
  std::size_t dataset_cases = 0;
  /// Cases that have at least one finished result (all of them in a complete run).
  std::size_t cases_evaluated = 0;
  /// run.selection: the criteria that chose the cases and how many they chose; null = all.
  nlohmann::ordered_json selection;
  /// run.split: the dev/test split this run took and its size -- {"name": "dev", "cases":
  /// 160, "of": 200, "config": {"by": "hash", ...}}; null = the dataset has no splits.
  nlohmann::ordered_json split;
  /// run.holdout: a run that saw test cases, which look at them this is -- {"look": 3,
  /// "max_looks": 5, "forced": false, "ledger": PATH}; null otherwise.
  nlohmann::ordered_json holdout;
  Shard shard;                  ///< the part of the selected cases this run took ({0, 1}: all)
  std::size_t shard_cases = 0;  ///< the cases in the shard (all the selected for the whole)
  /// A merged report: the shards it was made of (of merged_count); empty otherwise.
  std::vector<std::size_t> merged_shards;
  std::size_t merged_count = 0;
  int repeat = 1;          ///< samples per case and variant
  std::uint64_t seed = 0;  ///< of the bootstrap intervals and permutation tests
  std::string baseline;    ///< the variant the comparisons compare with
  double alpha = 0.05;     ///< the comparisons' significance level
  double min_effect = 0;   ///< the smallest |mean difference| called better or worse
  RunErrors errors;
  std::vector<ReplicaCount> replicas;  ///< of the providers with several base URLs
};

struct ReportSummary {
  RunInfo run;
  std::vector<VariantSummary> variants;
  std::vector<GateResult> gates;
  nlohmann::ordered_json comparisons = nlohmann::ordered_json::array();
  /// The report's `slices` section (README "Slices"); null without `slices:`.
  nlohmann::ordered_json slices;
};

[[nodiscard]] nlohmann::ordered_json to_json(const ReportSummary& summary);
/// One metric of a variant as the report writes it: {"n", "unscored", "mean", ...}.
[[nodiscard]] nlohmann::ordered_json to_json(const MetricSummary& metric);

/// `eval --slices`: per slice value, the variants' means and intervals and the comparisons
/// with the baseline on that slice's cases. Nothing without slices.
void print_slice_tables(std::ostream& out, const ReportSummary& summary, bool color);

/// A line per significant per-slice difference the overall comparison of the same variant
/// and metric does not show the same way: "b/stub exact_match: worse on language=de (-0.250,
/// p=0.0010 Holm-adjusted); overall: no significant difference", from the report's
/// `comparisons` and `slices` sections; `worse_only` keeps the regressions.
[[nodiscard]] std::vector<std::string> slice_findings(const nlohmann::ordered_json& comparisons,
                                                      const nlohmann::ordered_json& slices,
                                                      bool worse_only);

/// The compact table shown at the end of `eval`: variants x metrics, errors, latency p50.
void print_summary_table(std::ostream& out, const ReportSummary& summary, bool color);

/// Current UTC time as "2026-01-01T00:00:00Z".
[[nodiscard]] std::string utc_timestamp();
/// `time` in the same form.
[[nodiscard]] std::string utc_timestamp(std::chrono::system_clock::time_point time);

}  // namespace promptbench
