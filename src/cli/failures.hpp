// SPDX-License-Identifier: Apache-2.0
// `--show-failures [N]`: after the summary table, the failed and errored cases of each
// variant, so the next edit of a prompt can start from them without opening the report.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "promptbench/report_formats.hpp"

namespace promptbench::cli {

/// `text` on one line of at most `max_chars` characters: control characters escaped (\n, \t,
/// \u0001), cut at a UTF-8 boundary with "..." when longer.
[[nodiscard]] std::string one_line_excerpt(std::string_view text, std::size_t max_chars = 100);

/// Up to `per_variant` results per variant that failed (an error, a score error or a failed
/// pass flag), in report order: the case id, the reference, the output's excerpt, the scores
/// and the error; then how many more there are. Nothing when no result failed.
void print_failures(std::ostream& out, const ReportSource& report, std::size_t per_variant);

}  // namespace promptbench::cli
