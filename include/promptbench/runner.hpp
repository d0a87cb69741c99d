// SPDX-License-Identifier: Apache-2.0
// The runner knows the whole chain: cases -> prompts -> requests -> completions -> scores ->
// report. Everything else sees only its own stage.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/report.hpp"
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

/// `--max-errors N|P%`: the run ends (exit 3) when request errors exceed this.
struct ErrorBudget {
  std::size_t count = 0;          ///< used when percent is not set
  std::optional<double> percent;  ///< of all planned requests
  [[nodiscard]] std::size_t allowed(std::size_t planned_requests) const;
};
/// Parses "10" or "5%"; nullopt if malformed.
[[nodiscard]] std::optional<ErrorBudget> parse_error_budget(const std::string& text);

struct RunOptions {
  std::filesystem::path output = "promptbench-report.json";
  int concurrency = 0;  ///< 0 = the config's
  std::optional<std::size_t> limit;
  std::vector<std::string> prompt_ids;
  std::vector<std::string> provider_ids;
  bool verify_tls = true;
  /// The response cache and journal; empty = none (--no-cache).
  std::filesystem::path cache_path;
  std::optional<ErrorBudget> max_errors;
  /// Incremented by the SIGINT/SIGTERM handler; the run stops starting requests when it
  /// becomes non-zero and lets those in flight finish within `grace`.
  const std::atomic<int>* interrupts = nullptr;
  std::chrono::milliseconds grace{10'000};
  /// Backoff jitter, bootstrap intervals and permutation tests (the report's run.seed).
  std::uint64_t seed = 0;
  /// Samples per case and variant (--repeat); 0 = the config's `repeat`.
  int repeat = 0;
};

struct Progress {
  std::size_t done = 0;  ///< requests finished (scored or failed)
  std::size_t total = 0;
  std::size_t errors = 0;
  std::size_t cache_hits = 0;
  std::size_t retries = 0;
};

/// What a pre-flight pass over the dataset found: the number of cases to run and the
/// dataset's checksum. It renders every prompt for every case, so a missing variable or a
/// malformed row stops the run before any request is sent.
struct Preflight {
  std::size_t cases = 0;
  std::string dataset_sha256;
};
[[nodiscard]] Preflight preflight(const Config& config, const std::vector<Variant>& variants,
                                  std::optional<std::size_t> limit);

/// Runs the evaluation through `transport`, writes the JSON report to options.output and
/// returns its summary. Request failures are recorded on their cases; user errors throw
/// UserError before anything is sent. A run that stops early still writes its report,
/// with run.complete false and run.stop_reason saying why: "interrupted" (returned),
/// "max_errors" (then RunAborted is thrown) or "unreachable" (then UserError is thrown,
/// located at the provider's base_url).
[[nodiscard]] ReportSummary run_eval(const Config& config, const RunOptions& options,
                                     Transport& transport,
                                     const std::function<void(const Progress&)>& on_progress = {});

}  // namespace promptbench
