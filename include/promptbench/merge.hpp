// SPDX-License-Identifier: Apache-2.0
// Merging shards (README "Scale out"): the reports of `eval --shard I/N` become one report,
// checked to be parts of one run, in dataset order, with every statistic recomputed by the
// accumulator `eval` uses -- so the merged summary is a single run's, byte for byte.
#pragma once

#include <filesystem>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/report.hpp"

namespace promptbench {

struct MergeOptions {
  std::vector<std::filesystem::path> parts;
  std::filesystem::path output;
  /// Merge without some shards: the report is marked incomplete ("missing_shards") and the
  /// missing cases count as unscored, so gates over them fail.
  bool allow_missing = false;
  /// --gate flags, added to the gates the parts were run with.
  std::vector<std::string> gates;
};

/// Checks the parts, merges their cases into options.output (atomically, in dataset order)
/// and returns the summary written. Throws UserError naming the part and the field when the
/// parts are not shards of one run: another config, dataset, seed, repeat, variant list or
/// shard count; two parts of the same shard; a case in the wrong shard or in two parts; a
/// shard missing (without allow_missing).
[[nodiscard]] ReportSummary merge_reports(const MergeOptions& options);

}  // namespace promptbench
