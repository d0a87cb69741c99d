// SPDX-License-Identifier: Apache-2.0
// Test helpers: build a metric through the registry and score one output with it.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "promptbench/metric.hpp"

namespace promptbench::testing {

inline MetricConfig metric_config(const std::string& name, nlohmann::json params) {
  MetricConfig config;
  config.name = name;
  config.params = std::move(params);
  config.field = "metrics[0]";
  config.where = SourceLocation{"eval.yaml", 7, 5};
  return config;
}

inline std::unique_ptr<Metric> metric_named(const std::string& name,
                                            nlohmann::json params = nlohmann::json::object()) {
  return make_metric(metric_config(name, std::move(params)));
}

inline tl::expected<Score, std::string> score_with(const Metric& metric, const std::string& output,
                                                   const nlohmann::json& reference,
                                                   double latency_ms = 0) {
  const nlohmann::json vars = nlohmann::json::object();
  Completion completion;
  completion.text = output;
  completion.latency_ms = latency_ms;
  return metric.score(ScoreInput{output, output, reference, vars, completion});
}

/// The value a metric built from `name` and `params` gives `output` against `reference`.
inline double value_of(const std::string& name, const nlohmann::json& params,
                       const std::string& output, const nlohmann::json& reference) {
  return score_with(*metric_named(name, params), output, reference).value().value;
}

/// "key: message" of the ParamError that building the metric throws, or "no error".
inline std::string param_error(const std::string& name, const nlohmann::json& params) {
  try {
    (void)metric_named(name, params);
  } catch (const ParamError& e) {
    return e.key() + ": " + e.what();
  }
  return "no error";
}

}  // namespace promptbench::testing
