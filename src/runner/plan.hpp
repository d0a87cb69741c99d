// SPDX-License-Identifier: Apache-2.0
// Planning a run: the variants, everything built once from the config (templates,
// extractors, providers, metrics), and the summary plan the report is summarised with.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "promptbench/concurrency.hpp"
#include "promptbench/config.hpp"
#include "promptbench/extract.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/prompt.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/summary.hpp"
#include "runner/broker.hpp"

namespace promptbench {

/// Everything built once from the config before the first request.
struct Pipeline {
  std::vector<Variant> variants;
  std::vector<PromptTemplate> prompts;  ///< per prompt of the config
  /// endpoints(config): the providers, then the judges. An endpoint index is an index here
  /// and into `providers`, and the engine's provider index.
  std::vector<const ProviderConfig*> endpoints;
  std::vector<std::unique_ptr<Provider>> providers;
  /// Per variant: the provider that builds its requests and reads its answers; the
  /// endpoint's own, or one of `prompt_providers` when the prompt has `params:` of its own.
  std::vector<const Provider*> variant_providers;
  std::vector<std::unique_ptr<Provider>> prompt_providers;
  std::vector<Extractor> extractors;  ///< per prompt
  std::vector<std::unique_ptr<Metric>> metrics;
  /// Per metric: the endpoint of its judge when a judge scores it (llm_judge).
  std::vector<std::optional<std::size_t>> judge_endpoint;
  std::size_t judged_metrics = 0;  ///< metrics with a judge: judge requests per scored result
};

/// Builds the pipeline. Throws UserError for a judge id that names no endpoint.
[[nodiscard]] Pipeline build_pipeline(const Config& config, const std::vector<Variant>& variants);

/// The index in `variants` of the baseline: Config::baseline as a variant id, or as a prompt
/// id (that prompt's first variant); the first variant when it names none of `variants`
/// (filtered out by --prompt/--provider) or is empty.
[[nodiscard]] std::size_t baseline_index(const Config& config,
                                         const std::vector<Variant>& variants);

/// The broker's settings of every endpoint: limits (concurrency from `concurrency`), retries,
/// timeouts.
[[nodiscard]] std::vector<RequestBroker::Endpoint> broker_endpoints(
    const Pipeline& pipeline, bool verify_tls, const ConcurrencyPlan& concurrency);

/// What the run's summary depends on besides its cases.
[[nodiscard]] SummaryPlan summary_plan(const Config& config, const Pipeline& pipeline,
                                       std::size_t cases, std::size_t repeat, std::uint64_t seed);

}  // namespace promptbench
