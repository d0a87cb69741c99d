// SPDX-License-Identifier: Apache-2.0
// Reports (SPEC §5): the JSON report is the source of truth; it is written by streaming
// cases to a spool file as they finish and assembling the report atomically at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promptbench {

inline constexpr int kReportSchemaVersion = 1;

struct MetricSummary {
  std::string name;
  std::size_t n = 0;
  double mean = 0;
  double stddev = 0;
  double stderr_ = 0;
  double ci_low = 0;
  double ci_high = 0;
  bool higher_is_better = true;
  std::optional<double> pass_rate;  ///< when the metric has pass/fail
  std::optional<double> corpus;     ///< the corpus-level figure (bleu: corpus BLEU)
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
  std::optional<double> ci_low;  ///< the metric's 95% interval
  std::optional<double> ci_high;
  bool passed = false;
  /// How far the figure held against a bound lies on the wrong side of it; absent when the
  /// gate passed or there is no score.
  std::optional<double> shortfall;
};

/// Why a gate failed, for people: "chat/local exact_match: ci_low 0.7512 < min 0.8 (short by
/// 0.04883)" or "chat/local exact_match: no score (min 0.8)".
[[nodiscard]] std::string describe_gate_failure(const GateResult& gate);

struct RunInfo {
  std::string name;
  std::string started_at;  ///< ISO 8601 UTC
  std::string finished_at;
  bool complete = true;
  std::string stop_reason;  ///< why an incomplete run stopped: interrupted, max_errors, ...
  std::string config_sha256;
  std::string dataset_path;
  std::string dataset_sha256;
  std::size_t dataset_cases = 0;
  int repeat = 1;          ///< samples per case and variant
  std::uint64_t seed = 0;  ///< of the bootstrap intervals and permutation tests
};

struct ReportSummary {
  RunInfo run;
  std::vector<VariantSummary> variants;
  std::vector<GateResult> gates;
  nlohmann::ordered_json comparisons = nlohmann::ordered_json::array();
};

[[nodiscard]] nlohmann::ordered_json to_json(const ReportSummary& summary);

/// Streams cases to `<output>.cases.tmp`, then writes the whole report to a temporary file
/// beside `output` and renames it into place, so a reader never sees a half-written report.
class ReportWriter {
 public:
  explicit ReportWriter(std::filesystem::path output);
  ~ReportWriter();
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  void add_case(const nlohmann::ordered_json& case_json);
  /// Writes the report. Throws std::runtime_error when the file cannot be written.
  void finish(const ReportSummary& summary);

 private:
  std::filesystem::path m_output;
  std::filesystem::path m_spool_path;
  std::ofstream m_spool;
  bool m_first_case = true;
};

/// The compact table shown at the end of `eval`: variants x metrics, errors, latency p50.
void print_summary_table(std::ostream& out, const ReportSummary& summary, bool color);

/// Current UTC time as "2026-01-01T00:00:00Z".
[[nodiscard]] std::string utc_timestamp();

}  // namespace promptbench
