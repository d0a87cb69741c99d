// SPDX-License-Identifier: Apache-2.0
// Planning a run: which variants run, and what is built once before the first request.
#include "runner/plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/text.hpp"

namespace promptbench {

namespace {

std::optional<std::size_t> judge_endpoint_of(const Metric& metric,
                                             const std::vector<const ProviderConfig*>& all) {
  const auto* judged = dynamic_cast<const JudgedMetric*>(&metric);
  if (judged == nullptr) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i]->id == judged->judge_id()) {
      return i;
    }
  }
  throw UserError(
      fmt::format("metric '{}': no judge or provider '{}'", metric.name(), judged->judge_id()));
}

/// Throws UserError for a --prompt/--provider filter naming nothing in the config.
void check_filter(const std::vector<std::string>& wanted, const std::vector<std::string>& known,
                  const char* flag, const char* noun) {
  for (const auto& id : wanted) {
    if (std::find(known.begin(), known.end(), id) == known.end()) {
      throw UserError(fmt::format("{} '{}' matches no {} in the config{}", flag, id, noun,
                                  util::did_you_mean(id, known)));
    }
  }
}

bool selected(const std::vector<std::string>& filter, const std::string& id) {
  return filter.empty() || std::find(filter.begin(), filter.end(), id) != filter.end();
}

}  // namespace

std::vector<Variant> plan_variants(const Config& config, const std::vector<std::string>& prompt_ids,
                                   const std::vector<std::string>& provider_ids) {
  std::vector<std::string> all_prompts;
  std::vector<std::string> all_providers;
  for (const auto& p : config.prompts) {
    all_prompts.push_back(p.id);
  }
  for (const auto& p : config.providers) {
    all_providers.push_back(p.id);
  }
  check_filter(prompt_ids, all_prompts, "--prompt", "prompt");
  check_filter(provider_ids, all_providers, "--provider", "provider");
  std::vector<Variant> variants;
  for (std::size_t p = 0; p < config.prompts.size(); ++p) {
    for (std::size_t q = 0; q < config.providers.size(); ++q) {
      if (selected(prompt_ids, config.prompts[p].id) &&
          selected(provider_ids, config.providers[q].id)) {
        variants.push_back({variant_id(config.prompts[p].id, config.providers[q].id), p, q});
      }
    }
  }
  return variants;
}

Pipeline build_pipeline(const Config& config, const std::vector<Variant>& variants) {
  Pipeline pipeline;
  pipeline.variants = variants;
  for (const auto& prompt : config.prompts) {
    pipeline.prompts.emplace_back(prompt);
    pipeline.extractors.emplace_back(prompt.extract ? *prompt.extract : config.extract);
  }
  pipeline.endpoints = endpoints(config);
  for (const ProviderConfig* provider : pipeline.endpoints) {
    pipeline.providers.push_back(make_provider(*provider));
  }
  for (const Variant& variant : variants) {
    const PromptConfig& prompt = config.prompts[variant.prompt];
    if (prompt.params.empty()) {
      pipeline.variant_providers.push_back(pipeline.providers[variant.provider].get());
      continue;
    }
    pipeline.prompt_providers.push_back(
        make_provider(provider_for_prompt(config.providers[variant.provider], prompt)));
    pipeline.variant_providers.push_back(pipeline.prompt_providers.back().get());
  }
  for (const auto& metric : config.metrics) {
    pipeline.metrics.push_back(make_metric(metric));
    pipeline.judge_endpoint.push_back(
        judge_endpoint_of(*pipeline.metrics.back(), pipeline.endpoints));
    pipeline.judged_metrics += pipeline.judge_endpoint.back() ? 1 : 0;
  }
  return pipeline;
}

std::size_t baseline_index(const Config& config, const std::vector<Variant>& variants) {
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (variants[v].id == config.baseline) {
      return v;
    }
  }
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (config.prompts[variants[v].prompt].id == config.baseline) {
      return v;
    }
  }
  return 0;
}

std::vector<RequestBroker::Endpoint> broker_endpoints(const Pipeline& pipeline, bool verify_tls,
                                                      const ConcurrencyPlan& concurrency) {
  std::vector<RequestBroker::Endpoint> endpoints;
  for (std::size_t e = 0; e < pipeline.endpoints.size(); ++e) {
    const ProviderConfig* provider = pipeline.endpoints[e];
    const Provider* speaker = pipeline.providers[e].get();
    RequestBroker::Endpoint endpoint;
    endpoint.limits.advise = [speaker](const HttpResponse& answer) {
      return speaker->advise(answer);
    };
    endpoint.limits.replicas = provider->base_urls;
    // An endpoint the run never sends to keeps a lane of one.
    endpoint.limits.concurrency = std::max(1, concurrency.endpoint_limits[e]);
    endpoint.limits.rpm = provider->rate_limit.rpm;
    endpoint.limits.tpm = provider->rate_limit.tpm;
    endpoint.limits.retry.max_retries = provider->retries;
    endpoint.transfer.connect_timeout = provider->connect_timeout;
    endpoint.transfer.total_timeout = provider->timeout;
    endpoint.transfer.max_response_bytes = provider->max_response_bytes;
    endpoint.transfer.verify_tls = verify_tls;
    endpoints.push_back(endpoint);
  }
  return endpoints;
}

SummaryPlan summary_plan(const Config& config, const Pipeline& pipeline, std::size_t cases,
                         std::size_t repeat, std::uint64_t seed) {
  SummaryPlan plan;
  for (const Variant& variant : pipeline.variants) {
    const ProviderConfig& provider = config.providers[variant.provider];
    plan.variants.push_back({variant.id, config.prompts[variant.prompt].id, provider.id,
                             provider.model, provider.pricing.has_value()});
  }
  for (const auto& metric : pipeline.metrics) {
    plan.metrics.push_back({metric->name(), metric->higher_is_better(),
                            std::string(metric->corpus_kind()), metric->reference_field()});
  }
  plan.cases = cases;
  plan.repeat = repeat;
  plan.seed = seed;
  plan.baseline = baseline_index(config, pipeline.variants);
  plan.alpha = config.alpha;
  plan.min_effect = config.min_effect;
  plan.gates = config.gates;
  plan.slices = config.slices.fields;
  plan.slice_min_cases = config.slices.min_cases;
  return plan;
}

}  // namespace promptbench
