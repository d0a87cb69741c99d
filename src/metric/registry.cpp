// SPDX-License-Identifier: Apache-2.0
// The metric registry: one line per metric, and make_metric, which looks names up in it.
#include <algorithm>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"

namespace promptbench {

namespace {

const MetricInfo* find_metric(const std::string& name) {
  const std::vector<MetricInfo>& registry = metric_registry();
  const auto it = std::find_if(registry.begin(), registry.end(),
                               [&](const MetricInfo& info) { return name == info.name; });
  return it == registry.end() ? nullptr : &*it;
}

[[noreturn]] void throw_unknown_metric(const MetricConfig& config) {
  std::vector<std::string> names;
  for (const MetricInfo& info : metric_registry()) {
    names.emplace_back(info.name);
  }
  const std::string suggestion = closest_match(config.name, names);
  throw UserError(config.where, config.field,
                  suggestion.empty() ? fmt::format("unknown metric '{}'", config.name)
                                     : fmt::format("unknown metric '{}' (did you mean '{}'?)",
                                                   config.name, suggestion));
}

}  // namespace

const std::vector<MetricInfo>& metric_registry() {
  static const std::vector<MetricInfo> registry = {
      {"exact_match", "1 if the output equals a reference after normalization, else 0",
       "normalize: trim|lower|collapse_whitespace|strip_punctuation or a list (default [trim])",
       &make_exact_match},
      {"contains", "1 if a non-empty reference occurs in the output after normalization, else 0",
       "normalize: trim|lower|collapse_whitespace|strip_punctuation or a list (default [lower])",
       &make_contains},
      {"regex", "1 if the RE2 pattern matches anywhere in the output, else 0",
       "pattern: RE2 regular expression (required); negate: true scores 1 on no match",
       &make_regex},
      {"latency", "request latency in milliseconds (lower is better)",
       "threshold: pass when latency <= threshold (no pass flag without one)", &make_latency},
  };
  return registry;
}

std::unique_ptr<Metric> make_metric(const MetricConfig& config) {
  const MetricInfo* info = find_metric(config.name);
  if (info == nullptr) {
    throw_unknown_metric(config);
  }
  if (!config.params.is_null() && !config.params.is_object()) {
    throw ParamError("", "expected a mapping of parameters");
  }
  const MetricParams params(config.params);
  const std::string name = params.get_string("name", info->name);
  if (name.empty()) {
    throw ParamError("name", "expected a non-empty string");
  }
  const MetricSpec spec{name, params.get_optional_number("threshold"), params};
  return info->make(spec);
}

}  // namespace promptbench
