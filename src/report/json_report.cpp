// SPDX-License-Identifier: Apache-2.0
// The JSON report (README "Report"): the summary as JSON.
#include <chrono>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "promptbench/redact.hpp"
#include "promptbench/report.hpp"

#ifndef PROMPTBENCH_VERSION
#define PROMPTBENCH_VERSION "0.0.0"
#endif

namespace promptbench {

namespace {

nlohmann::ordered_json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

/// JSON has no NaN or infinity; nlohmann would write `null` anyway, this makes it explicit.
nlohmann::ordered_json finite(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json to_json(const MetricSummary& m) {
  const auto figure = [&m](double value) {
    return m.n > 0 ? finite(value) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json out = {
      {"n", m.n},
      {"unscored", m.unscored},
      {"mean", figure(m.mean)},
      {"stddev", figure(m.stddev)},
      {"stderr", figure(m.stderr_)},
      {"ci95", m.n > 0 ? nlohmann::ordered_json{finite(m.ci_low), finite(m.ci_high)}
                       : nlohmann::ordered_json(nullptr)},
      {"higher_is_better", m.higher_is_better}};
  if (!m.reference.empty()) {
    out["reference"] = m.reference;
  }
  if (!m.corpus_kind.empty()) {
    out["corpus_kind"] = m.corpus_kind;
  }
  if (m.corpus) {
    out["corpus"] = *m.corpus;
  }
  if (m.pass_rate) {
    out["pass_rate"] = *m.pass_rate;
  }
  return out;
}

namespace {

nlohmann::ordered_json percentiles_json(std::optional<double> p50, std::optional<double> p90,
                                        std::optional<double> p99) {
  return {
      {"p50", optional_number(p50)}, {"p90", optional_number(p90)}, {"p99", optional_number(p99)}};
}

nlohmann::ordered_json variant_json(const VariantSummary& v) {
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& m : v.metrics) {
    metrics[m.name] = to_json(m);
  }
  nlohmann::ordered_json out = {
      {"id", v.id},
      {"prompt", v.prompt},
      {"provider", v.provider},
      {"model", v.model},
      {"cases", v.cases},
      {"errors", v.errors},
      {"cache_hits", v.cache_hits},
      {"attempts", v.attempts},
      {"retries", v.retries},
      {"errors_by_kind", v.errors_by_kind},
      {"metrics", std::move(metrics)},
      {"latency_ms", percentiles_json(v.latency_p50, v.latency_p90, v.latency_p99)}};
  if (v.ttft_p50) {
    out["ttft_ms"] = percentiles_json(v.ttft_p50, v.ttft_p90, v.ttft_p99);
  }
  out["usage"] = {{"prompt_tokens", v.prompt_tokens}, {"completion_tokens", v.completion_tokens}};
  out["cost_usd"] = optional_number(v.cost_usd);
  return out;
}

nlohmann::ordered_json gate_json(const GateResult& g) {
  nlohmann::ordered_json out = {{"metric", g.metric}, {"variant", g.variant}, {"on", g.on}};
  if (g.min) {
    out["min"] = *g.min;
  }
  if (g.max) {
    out["max"] = *g.max;
  }
  out["value"] = optional_number(g.value);
  out["unscored"] = g.unscored;
  out["max_unscored"] = g.max_unscored;
  if (g.max_unscored_percent) {
    out["max_unscored_percent"] = *g.max_unscored_percent;
  }
  out["ci95"] = g.ci_low && g.ci_high
                    ? nlohmann::ordered_json{finite(*g.ci_low), finite(*g.ci_high)}
                    : nlohmann::ordered_json(nullptr);
  out["passed"] = g.passed;
  out["shortfall"] = optional_number(g.shortfall);
  if (!g.slice_field.empty()) {
    out["slice"] = {{g.slice_field, g.slice_value}};
    out["slice_cases"] = g.slice_cases;
    if (!g.not_gated.empty()) {
      out["not_gated"] = g.not_gated;
    }
    if (g.missing_slice) {
      out["missing_slice"] = true;
    }
  }
  if (g.gate_slice) {
    out["gate_slice"] = to_json(*g.gate_slice);
  }
  return out;
}

nlohmann::ordered_json tally_json(const ErrorTally& tally) {
  nlohmann::ordered_json out = {
      {"failed", tally.failed}, {"total", tally.total}, {"by_kind", tally.by_kind}};
  if (tally.first) {
    const FirstError& e = *tally.first;
    out["first"] = {
        {"case", e.case_id}, {"variant", e.variant}, {"kind", e.kind}, {"message", e.message}};
    if (!e.source.empty()) {
      out["first"]["source"] = e.source;
    }
    if (e.http_status != 0) {
      out["first"]["status"] = e.http_status;
    }
  } else {
    out["first"] = nullptr;
  }
  return out;
}

nlohmann::ordered_json errors_json(const RunErrors& errors) {
  return {{"failed", errors.failed()},
          {"allowed", errors.allowed},
          {"requests", tally_json(errors.requests)},
          {"judges", tally_json(errors.judges)},
          {"scorers", tally_json(errors.scorers)},
          {"extract_failures", errors.extract_failures}};
}

}  // namespace

std::string utc_timestamp() {
  return utc_timestamp(std::chrono::system_clock::now());
}

std::string utc_timestamp(std::chrono::system_clock::time_point time) {
  const std::time_t now = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

nlohmann::ordered_json to_json(const ReportSummary& summary) {
  const RunInfo& run = summary.run;
  nlohmann::ordered_json variants = nlohmann::ordered_json::array();
  for (const auto& v : summary.variants) {
    variants.push_back(variant_json(v));
  }
  nlohmann::ordered_json gates = nlohmann::ordered_json::array();
  for (const auto& g : summary.gates) {
    gates.push_back(gate_json(g));
  }
  nlohmann::ordered_json out = {
      {"schema_version", kReportSchemaVersion},
      {"tool", {{"name", "promptbench"}, {"version", PROMPTBENCH_VERSION}}},
      {"run",
       {{"name", run.name},
        {"started_at", run.started_at},
        {"finished_at", run.finished_at},
        {"complete", run.complete},
        {"stop_reason", run.stop_reason.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(run.stop_reason)},
        {"config_sha256", run.config_sha256},
        {"dataset",
         {{"path", run.dataset_path},
          {"sha256", run.dataset_sha256},
          {"cases", run.dataset_cases}}},
        {"cases_evaluated", run.cases_evaluated},
        {"shard",
         {{"index", run.shard.index}, {"count", run.shard.count}, {"cases", run.shard_cases}}},
        {"repeat", run.repeat},
        {"seed", run.seed},
        {"baseline", run.baseline},
        {"alpha", run.alpha},
        {"min_effect", run.min_effect},
        {"errors", errors_json(run.errors)}}},
      {"variants", std::move(variants)},
      {"comparisons", summary.comparisons},
      {"gates", std::move(gates)}};
  if (!summary.slices.is_null()) {
    out["slices"] = summary.slices;
  }
  if (!run.selection.is_null()) {
    out["run"]["selection"] = run.selection;
  }
  if (!run.split.is_null()) {
    out["run"]["split"] = run.split;
  }
  if (!run.holdout.is_null()) {
    out["run"]["holdout"] = run.holdout;
  }
  if (!run.merged_shards.empty()) {
    out["run"]["merged_from"] = {{"count", run.merged_count}, {"shards", run.merged_shards}};
  }
  if (!run.replicas.empty()) {
    nlohmann::ordered_json replicas = nlohmann::ordered_json::array();
    for (const ReplicaCount& replica : run.replicas) {
      replicas.push_back({{"provider", replica.provider},
                          {"base_url", replica.base_url},
                          {"requests", replica.requests},
                          {"failures", replica.failures}});
    }
    out["run"]["replicas"] = std::move(replicas);
  }
  return out;
}

}  // namespace promptbench
