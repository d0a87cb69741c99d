// SPDX-License-Identifier: Apache-2.0
// The optional sections of a report's head, checked before any renderer reads them; each
// failure is a UserError naming the report and the field (exit 2).
#pragma once

#include <string>

#include "report/json_checks.hpp"

namespace promptbench::report_checks {

/// `slices` (README "Slices"): absent or null, or an object of the shape eval writes.
void check_slices_section(const Json& head, const std::string& report);

/// The run's `split`, `holdout`, `selection`, `shard` and `merged_from`: each absent or
/// null, or an object of the shape eval and merge write.
void check_run_sections(const Json& run, const std::string& report);

}  // namespace promptbench::report_checks
