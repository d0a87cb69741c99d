// SPDX-License-Identifier: Apache-2.0
// The size of a run as `eval --dry-run` and `validate` both say it, so the two never count
// differently.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/runner.hpp"

namespace promptbench::cli {

/// How many of `variants` run on a recorded provider (answered from its file, sending
/// nothing).
[[nodiscard]] std::size_t recorded_variants(const Config& config,
                                            const std::vector<Variant>& variants);

/// "12 cases x 2 variants x 3 repeats = 72 requests" (no repeats part for one); `recorded`
/// of the variants send nothing: "12 cases x 2 variants = 12 requests (1 variant recorded)".
[[nodiscard]] std::string request_count(std::size_t cases, std::size_t variants,
                                        std::size_t recorded, std::size_t repeat);

/// "splits by hash of the case id (dev 0.8, test 0.2, salt ''): dev 160, test 40 of 200
/// cases", for a pre-flight that counted the splits.
[[nodiscard]] std::string split_plan(const Config& config, const Preflight& checked);

}  // namespace promptbench::cli
