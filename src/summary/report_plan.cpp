// SPDX-License-Identifier: Apache-2.0
// A report's own summary plan, read from its head, and the summary recomputed from its
// cases: what lets `compare` (and merging shards) work from reports alone.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <fmt/format.h>

#include "promptbench/report_formats.hpp"
#include "promptbench/summary.hpp"
#include "report/json_checks.hpp"

namespace promptbench {

namespace {

using report_checks::expect;
using report_checks::Json;
using report_checks::member;

std::string text(const Json& object, const char* key) {
  const Json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

template <typename T>
T number(const Json& object, const char* key, T fallback, const std::string& report,
         const std::string& field) {
  const Json& value = member(object, key);
  if (value.is_null()) {
    return fallback;
  }
  const std::string path = field.empty() ? key : field + "." + key;
  if constexpr (std::is_integral_v<T>) {
    // A count: converting a negative or fractional number (6.7e37) to it is undefined
    // behaviour (found by fuzz_report through summarize_report, which compare and merge use).
    expect(report_checks::is_count(value), value, report, path, "a whole number, 0 or more");
  } else {
    expect(value.is_number(), value, report, path, "a number");
  }
  return value.get<T>();
}

void add_metrics(const Json& variant, SummaryPlan& plan) {
  const Json& metrics = member(variant, "metrics");
  if (!metrics.is_object()) {
    return;
  }
  // Not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
  for (const auto& item : metrics.items()) {
    const std::string& name = item.key();
    const Json& summary = item.value();
    const bool known = std::any_of(plan.metrics.begin(), plan.metrics.end(),
                                   [&](const auto& m) { return m.name == name; });
    if (!known) {
      const Json& higher = member(summary, "higher_is_better");
      plan.metrics.push_back({name, higher.is_boolean() ? higher.get<bool>() : true,
                              text(summary, "corpus_kind"), text(summary, "reference")});
    }
  }
}

GateConfig gate_from(const Json& gate, std::size_t index, const std::string& report) {
  const std::string field = fmt::format("gates[{}]", index);
  GateConfig config;
  config.metric = text(gate, "metric");
  config.variant = text(gate, "variant");
  if (!member(gate, "min").is_null()) {
    config.min = number<double>(gate, "min", 0, report, field);
  }
  if (!member(gate, "max").is_null()) {
    config.max = number<double>(gate, "max", 0, report, field);
  }
  config.on = text(gate, "on") == "ci_low" ? GateOn::ci_low : GateOn::mean;
  if (!member(gate, "max_unscored_percent").is_null()) {
    config.max_unscored.percent = number<double>(gate, "max_unscored_percent", 0, report, field);
  } else {
    config.max_unscored.count = number<std::size_t>(gate, "max_unscored", 0, report, field);
  }
  // A slice gate as configured: `each` gave one result per value, rebuilt into one gate.
  const char* slice_key = member(gate, "gate_slice").is_null() ? "slice" : "gate_slice";
  if (const Json& slice = member(gate, slice_key); !slice.is_null()) {
    config.slice = gate_slice_from_json(slice);
    expect(config.slice.has_value(), slice, report, field + "." + slice_key,
           "a slice like {\"language\": \"de\"} or \"each\"");
  }
  config.field = field;
  return config;
}

/// Whether two gates read from a report are one configured gate (a slice gate's values).
bool same_gate(const GateConfig& a, const GateConfig& b) {
  return a.metric == b.metric && a.variant == b.variant && a.min == b.min && a.max == b.max &&
         a.on == b.on && a.max_unscored.count == b.max_unscored.count &&
         a.max_unscored.percent == b.max_unscored.percent && a.slice == b.slice;
}

/// `slices.fields` and `slices.min_cases` of a report's head: the slices it was summarised by.
void read_slices(const Json& head, SummaryPlan& plan, const std::string& report) {
  const Json& slices = member(head, "slices");
  if (slices.is_null()) {
    return;
  }
  const Json& fields = member(slices, "fields");
  expect(fields.is_array(), fields, report, "slices.fields", "a list of field names");
  for (std::size_t f = 0; f < fields.size(); ++f) {
    expect(fields[f].is_string(), fields[f], report, fmt::format("slices.fields[{}]", f),
           "a field name");
    plan.slices.push_back(fields[f].get<std::string>());
  }
  plan.slice_min_cases =
      number<std::size_t>(slices, "min_cases", kDefaultSliceMinCases, report, "slices");
}

}  // namespace

SummaryPlan plan_from_report(const nlohmann::ordered_json& head, const std::string& report) {
  SummaryPlan plan;
  const Json& run = member(head, "run");
  plan.cases = number<std::size_t>(member(run, "dataset"), "cases", 0, report, "run.dataset");
  // A shard's statistics are over its own cases: the rest of the dataset is not unscored.
  plan.cases = number<std::size_t>(member(run, "shard"), "cases", plan.cases, report, "run.shard");
  plan.repeat = number<std::size_t>(run, "repeat", 1, report, "run");
  plan.seed = number<std::uint64_t>(run, "seed", 0, report, "run");
  plan.alpha = number<double>(run, "alpha", 0.05, report, "run");
  plan.min_effect = number<double>(run, "min_effect", 0, report, "run");
  const std::string baseline = text(run, "baseline");
  for (const Json& variant : member(head, "variants")) {
    SummaryPlan::VariantInfo info{text(variant, "id"), text(variant, "prompt"),
                                  text(variant, "provider"), text(variant, "model"),
                                  member(variant, "cost_usd").is_number()};
    if (info.id == baseline) {
      plan.baseline = plan.variants.size();
    }
    plan.variants.push_back(std::move(info));
    add_metrics(variant, plan);
  }
  read_slices(head, plan, report);
  const Json& gates = member(head, "gates");
  for (std::size_t g = 0; g < gates.size() && gates.is_array(); ++g) {
    GateConfig gate = gate_from(gates[g], g, report);
    if (gate.slice && std::any_of(plan.gates.begin(), plan.gates.end(),
                                  [&](const GateConfig& o) { return same_gate(o, gate); })) {
      continue;  // another value of the same slice gate
    }
    plan.gates.push_back(std::move(gate));
  }
  return plan;
}

SummaryFigures summarize_report(const ReportSource& report) {
  SummaryAccumulator accumulator(plan_from_report(report.head(), report.name()));
  report.for_each_record([&](CaseRecord&& record) { accumulator.add(record, report.name()); });
  return accumulator.figures();
}

}  // namespace promptbench
