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

}  // namespace promptbench
