// SPDX-License-Identifier: Apache-2.0
// The names the config gives to what a run produces: variant ids and metric report names.
// One definition each, so the loader, --gate, the runner and the reports cannot disagree.
#include "promptbench/config.hpp"

namespace promptbench {

std::string variant_id(const std::string& prompt_id, const std::string& provider_id) {
  return prompt_id + "/" + provider_id;
}

std::string metric_report_name(const MetricConfig& metric) {
  // A `name:` that is not a string is reported by the metric's parameter check when the
  // config loads; until then the registry name stands in.
  if (metric.params.is_object()) {
    const auto name = metric.params.find("name");
    if (name != metric.params.end() && name->is_string()) {
      return name->get<std::string>();
    }
  }
  return metric.name;
}

std::vector<std::string> variant_ids(const Config& config) {
  std::vector<std::string> ids;
  for (const auto& prompt : config.prompts) {
    for (const auto& provider : config.providers) {
      ids.push_back(variant_id(prompt.id, provider.id));
    }
  }
  return ids;
}

std::vector<std::string> metric_report_names(const Config& config) {
  std::vector<std::string> names;
  for (const MetricConfig& metric : config.metrics) {
    names.push_back(metric_report_name(metric));
  }
  return names;
}

}  // namespace promptbench
