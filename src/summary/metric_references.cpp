// SPDX-License-Identifier: Apache-2.0
// Naming a run's per-metric reference fields in a summary its accumulator made without them.
#include <map>

#include "promptbench/metric.hpp"
#include "promptbench/summary.hpp"

namespace promptbench {

// eval's accumulator is planned from the pipeline without the metrics' `reference:` fields,
// while a report's own plan reads them back from its head (plan_from_report); this puts
// them where that accumulator would have, so a report recomputed from its cases (compare,
// merge) still equals what eval wrote, byte for byte.
void name_metric_references(const Config& config, ReportSummary& summary) {
  std::map<std::string, std::string> references;  // report name -> field
  for (const MetricConfig& metric : config.metrics) {
    if (std::string field = metric_reference_field(metric); !field.empty()) {
      references.emplace(metric_report_name(metric), std::move(field));
    }
  }
  if (references.empty()) {
    return;
  }
  for (VariantSummary& variant : summary.variants) {
    for (MetricSummary& metric : variant.metrics) {
      if (const auto found = references.find(metric.name); found != references.end()) {
        metric.reference = found->second;
      }
    }
  }
  for (nlohmann::ordered_json& entry : summary.comparisons) {
    const auto found = references.find(entry.value("metric", std::string()));
    if (found == references.end() || entry.contains("reference")) {
      continue;
    }
    // Right after "metric", where to_json(const Comparison&) writes it.
    nlohmann::ordered_json named = nlohmann::ordered_json::object();
    for (auto& [key, value] : entry.items()) {
      named[key] = std::move(value);
      if (key == "metric") {
        named["reference"] = found->second;
      }
    }
    entry = std::move(named);
  }
}

}  // namespace promptbench
