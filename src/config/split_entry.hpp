// SPDX-License-Identifier: Apache-2.0
// `dataset.split`, `dataset.split_field` and `holdout:` (README "Splits and the holdout
// guard") -> SplitConfig and HoldoutConfig.
#pragma once

#include "config/field.hpp"
#include "promptbench/config.hpp"

namespace promptbench::config {

/// Reads `split: {dev: 0.8, test: 0.2, salt: "..."}` or `split_field: NAME` of the dataset
/// mapping `dataset` (at most one of them). Shares are in (0, 1] and add up to 1 (within
/// 1e-9); a missing one is the rest. Throws UserError at file:line:col with the field path.
[[nodiscard]] SplitConfig read_split(const Field& dataset);

/// Reads `holdout: {max_looks: N}`; it needs a split (`split` as read by read_split).
[[nodiscard]] HoldoutConfig read_holdout(const Field& holdout, const SplitConfig& split);

}  // namespace promptbench::config
