// SPDX-License-Identifier: Apache-2.0
// The factories of the built-in metrics, one per file in this folder, for the registry.
#pragma once

#include <memory>

#include "promptbench/metric.hpp"

namespace promptbench {

[[nodiscard]] std::unique_ptr<Metric> make_exact_match(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_contains(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_regex(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_latency(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_ttft(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_starts_with(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_f1(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_squad_em(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_bleu(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_rouge(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_levenshtein(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_json_valid(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_json_schema(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_json_match(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_numeric(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_choice(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_length(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_tokens(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_cost(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_command(const MetricSpec& spec);
[[nodiscard]] std::unique_ptr<Metric> make_llm_judge(const MetricSpec& spec);

}  // namespace promptbench
