// SPDX-License-Identifier: Apache-2.0
// The report's case schema, defined once: what one case of the dataset produced, for every
// variant and repeat. `eval` builds these while it runs and streams them into the report;
// the report reader, `compare` and the summary accumulator read them back with
// case_from_json, so every consumer agrees on what a field means.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promptbench {

/// What one metric made of one result. A metric that never ran (the request failed, the
/// extraction failed) has no entry at all.
struct MetricOutcome {
  std::string name;  ///< the metric's report name
  std::optional<double> score;
  std::optional<bool> pass;
  std::optional<std::string> error;  ///< why there is no score ("score_errors")
  /// Kept for audit: a scorer's reason, a judge's prompt and reply. Null = none.
  nlohmann::ordered_json detail;
  /// The metric's additive corpus statistics for this output (bleu: n-gram matches,
  /// totals and lengths); summed over a variant's results they give the corpus figure.
  std::vector<double> corpus;
};

/// Why a result has no completion ("http_status", "timeout", ...) or no extraction
/// ("extract").
struct ResultError {
  std::string kind;
  std::string message;
  int status = 0;  ///< the HTTP status, for http_status
};

/// One sample of one variant on one case.
struct CaseResult {
  std::string variant;
  std::size_t repeat = 0;
  std::optional<std::string> output;     ///< the model's text; absent when the request failed
  std::optional<std::string> extracted;  ///< after the extraction steps
  std::optional<double> latency_ms;      ///< of the answered request
  /// Streamed answers: request start to the first content token.
  std::optional<double> ttft_ms;
  /// Reported output tokens per second: over latency_ms - ttft_ms when streamed (the
  /// generation after the first token), else over latency_ms.
  std::optional<double> output_tokens_per_second;
  bool cached = false;     ///< answered from the cache
  bool has_usage = false;  ///< a completion came back (its usage may be unknown)
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<double> cost_usd;  ///< when the provider has pricing and usage was reported
  std::optional<ResultError> error;
  /// HTTP requests sent for this result, judges' included, retries included (0 when
  /// every answer came from the cache); `retries` of them were retries.
  int attempts = 0;
  int retries = 0;
  std::vector<MetricOutcome> metrics;  ///< in the config's metric order

  /// The outcome of `name`, created (at the end) if absent.
  MetricOutcome& metric(const std::string& name);
  /// True when the request itself failed (not an extraction failure).
  [[nodiscard]] bool request_failed() const { return error && error->kind != "extract"; }
};

/// One case of the dataset and its results, in the order variant x repeat.
struct CaseRecord {
  std::size_t index = 0;  ///< the row's position in the dataset
  std::string id;
  nlohmann::json vars;
  nlohmann::json reference;
  std::vector<CaseResult> results;
};

/// Appends the report's JSON of a case, {"index", "id", "vars", "reference", "results":
/// [...]}, on one line, in the schema's fixed key order, invalid UTF-8 replaced by U+FFFD,
/// without building a tree (the report's hot path).
void append_case_json(std::string& out, const CaseRecord& record);

/// The same case as a tree: append_case_json's line, parsed.
[[nodiscard]] nlohmann::ordered_json to_json(const CaseRecord& record);

/// Reads a case of a report. Throws UserError naming `report` and the field
/// ("cases[3].results[1].scores.exact_match") on anything that does not fit the schema.
/// A case without "index" (a report of an older promptbench) gets `position`.
[[nodiscard]] CaseRecord case_from_json(const nlohmann::ordered_json& json, std::size_t position,
                                        const std::string& report);

}  // namespace promptbench
