// SPDX-License-Identifier: Apache-2.0
#include "promptbench/concurrency.hpp"

#include <cstddef>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "provider/providers/recorded.hpp"

namespace promptbench {

namespace {

/// Which endpoints (endpoints(config) order) the run sends to: its variants' providers but
/// the recorded ones, and the judges of its llm_judge metrics.
std::vector<bool> used_endpoints(const Config& config, const std::vector<Variant>& variants) {
  const std::vector<const ProviderConfig*> all = endpoints(config);
  std::vector<bool> used(all.size(), false);
  for (const Variant& variant : variants) {
    // Providers come first in endpoints(config); a recorded one sends nothing.
    used[variant.provider] = all[variant.provider]->type != providers::kRecordedType;
  }
  for (const MetricConfig& metric : config.metrics) {
    if (metric.name != "llm_judge") {
      continue;
    }
    const std::string judge = metric.params.value("judge", "");
    for (std::size_t e = 0; e < all.size(); ++e) {
      if (all[e]->id == judge) {
        used[e] = true;
      }
    }
  }
  return used;
}

std::string global_source(const Config& config, int flag) {
  if (flag > 0) {
    return fmt::format("-j {}", flag);
  }
  if (config.concurrency) {
    return fmt::format("concurrency: {} in the config", *config.concurrency);
  }
  return "the sum of the providers' limits";
}

}  // namespace

ConcurrencyPlan plan_concurrency(const Config& config, const std::vector<Variant>& variants,
                                 int flag) {
  const std::vector<const ProviderConfig*> all = endpoints(config);
  const std::vector<bool> used = used_endpoints(config, variants);
  const std::optional<int> global = flag > 0 ? std::optional<int>(flag) : config.concurrency;
  ConcurrencyPlan plan;
  plan.global_source = global_source(config, flag);
  plan.endpoint_limits.assign(all.size(), 0);
  int sum = 0;
  std::vector<std::string> own_limits;  // "a 16" for the providers that set their own
  for (std::size_t e = 0; e < all.size(); ++e) {
    if (!used[e]) {
      continue;
    }
    const ProviderConfig& endpoint = *all[e];
    const int limit = endpoint.concurrency.value_or(global.value_or(kDefaultProviderConcurrency));
    plan.endpoint_limits[e] = limit;
    sum += limit;
    if (global && endpoint.concurrency && *endpoint.concurrency < *global) {
      plan.notes.push_back(
          fmt::format("provider '{}' sends at most {} at once: its own concurrency: {} is below {}",
                      endpoint.id, limit, limit, plan.global_source));
    }
    if (endpoint.concurrency) {
      own_limits.push_back(fmt::format("{} {}", endpoint.id, limit));
    }
  }
  plan.global = global.value_or(std::max(sum, 1));
  if (global && *global < sum && !own_limits.empty()) {
    plan.notes.push_back(
        fmt::format("{} is in force over the providers' own limits ({}), which add up to {}",
                    plan.global_source, fmt::join(own_limits, ", "), sum));
  }
  return plan;
}

std::vector<std::string> describe(const ConcurrencyPlan& plan, const Config& config) {
  const std::vector<const ProviderConfig*> all = endpoints(config);
  std::vector<std::string> limits;
  for (std::size_t e = 0; e < all.size(); ++e) {
    if (plan.endpoint_limits[e] > 0) {
      limits.push_back(fmt::format("{} {}", all[e]->id, plan.endpoint_limits[e]));
    }
  }
  std::vector<std::string> lines;
  lines.push_back(fmt::format("concurrency: {} request{} in flight at most ({}; per provider: {})",
                              plan.global, plan.global == 1 ? "" : "s", plan.global_source,
                              fmt::join(limits, ", ")));
  for (const std::string& note : plan.notes) {
    lines.push_back("  " + note);
  }
  return lines;
}

}  // namespace promptbench
