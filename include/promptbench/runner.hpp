// SPDX-License-Identifier: Apache-2.0
// The runner knows the whole chain: cases -> prompts -> requests -> completions -> scores ->
// report. Everything else sees only its own stage.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "promptbench/case_result.hpp"
#include "promptbench/clock.hpp"
#include "promptbench/config.hpp"
#include "promptbench/progress.hpp"
#include "promptbench/report.hpp"
#include "promptbench/selection.hpp"
#include "promptbench/shard.hpp"
#include "promptbench/split.hpp"
#include "promptbench/transport.hpp"

namespace promptbench {

/// One (prompt, provider) pair; every variant runs on every case.
struct Variant {
  std::string id;            ///< "prompt/provider"
  std::size_t prompt = 0;    ///< index into Config::prompts
  std::size_t provider = 0;  ///< index into Config::providers
};

/// Every prompt x provider pair, restricted by the filters (empty filter = all). Throws
/// UserError for a filter naming no prompt or provider.
[[nodiscard]] std::vector<Variant> plan_variants(const Config& config,
                                                 const std::vector<std::string>& prompt_ids,
                                                 const std::vector<std::string>& provider_ids);

struct RunOptions {
  std::filesystem::path output = "promptbench-report.json";
  int concurrency = 0;  ///< 0 = the config's
  std::optional<std::size_t> limit;
  /// --case, --case-pattern, --sample, --filter-failing...: which of the first `limit` rows
  /// run (README "Choosing cases").
  SelectionCriteria selection;
  /// --shard: only the cases of this shard (of the selected cases).
  Shard shard;
  /// --split: the dev or test split (or all) of the first `limit` rows, before the selection;
  /// unset = the dataset has no splits.
  std::optional<SplitChoice> split;
  /// The report's run.holdout (which look at the test split this is), set by `eval`; null =
  /// none.
  nlohmann::ordered_json holdout;
  std::vector<std::string> prompt_ids;
  std::vector<std::string> provider_ids;
  bool verify_tls = true;
  /// The response cache and journal; empty = none (--no-cache).
  std::filesystem::path cache_path;
  /// --max-errors: overrides the config's `max_errors` (see Config::max_errors).
  std::optional<Allowance> max_errors;
  /// Incremented by the SIGINT/SIGTERM handler; the run stops starting requests when it
  /// becomes non-zero and lets those in flight finish within `grace`.
  const std::atomic<int>* interrupts = nullptr;
  std::chrono::milliseconds grace{10'000};
  /// Backoff jitter, bootstrap intervals and permutation tests (the report's run.seed).
  std::uint64_t seed = 0;
  /// Samples per case and variant (--repeat); 0 = the config's `repeat`.
  int repeat = 0;
  /// With -v: one line per finished request (case id, variant, outcome; for errors the
  /// server's message), secrets already redacted. Unset = no request log.
  std::function<void(const std::string&)> log;
  /// Each finished case, in dataset order, as it reaches the report (eval --samples). Unset =
  /// none.
  std::function<void(const CaseRecord&)> on_case;
  /// Time for backoff, rate limits, the grace period and the report's timestamps; null =
  /// the real clock. Tests pass a fake one, so nothing sleeps.
  Clock* clock = nullptr;
};

/// What a pre-flight pass over the dataset found: the number of cases to run and the
/// dataset's checksum. It renders every prompt for every case, so a missing variable or a
/// malformed row stops the run before any request is sent.
struct Preflight {
  static constexpr std::size_t kFirstSelected = 5;
  std::size_t cases = 0;  ///< rows of the dataset (the first `limit`)
  /// With splits: of the rows, those in dev, those in test, and those in the split run.
  std::size_t dev_cases = 0;
  std::size_t test_cases = 0;
  std::size_t split_cases = 0;
  std::size_t selected_cases = 0;  ///< of them, the selection's (all without one)
  std::size_t shard_cases = 0;     ///< of those, the shard's (all of them for the whole run)
  /// The ids of the first few selected cases, for the dry run.
  std::vector<std::string> first_selected;
  /// Which rows run: the selection with its sample drawn. Shared with the run, which asks it
  /// again for every row it reads.
  std::shared_ptr<const CaseSelector> selector;
  /// With a shard of N > 1: the case count of every shard of N, for the dry run.
  std::vector<std::size_t> shard_counts;
  std::string dataset_sha256;
};
[[nodiscard]] Preflight preflight(const Config& config, const std::vector<Variant>& variants,
                                  std::optional<std::size_t> limit, const Shard& shard = {},
                                  const SelectionCriteria& selection = {},
                                  std::optional<SplitChoice> split = std::nullopt);

/// The report's run.split for a run of `choice` that pre-flight `checked` found.
[[nodiscard]] nlohmann::ordered_json split_json(const Config& config, SplitChoice choice,
                                                const Preflight& checked);

/// Runs the evaluation through `transport`, writes the JSON report to options.output and
/// returns its summary. Request, judge and scorer failures are recorded on their cases and
/// tallied in summary.run.errors (the caller decides the exit code from it, with
/// errors_exceed_allowance); user errors throw UserError before anything is sent. A run
/// that stops early still writes its report, with run.complete false and run.stop_reason
/// saying why: "interrupted", "max_errors" or "cache_error" (returned; docs/FAULTS.md) or
/// "unreachable" (then UserError is thrown, located at the provider's base_url). A report
/// that cannot be written, or whose spool failed during the run, throws UserError naming
/// the file (the run stops as soon as the spool fails).
[[nodiscard]] ReportSummary run_eval(const Config& config, const RunOptions& options,
                                     Transport& transport,
                                     const std::function<void(const Progress&)>& on_progress = {});

}  // namespace promptbench
