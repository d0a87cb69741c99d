// SPDX-License-Identifier: Apache-2.0
// `eval`, `merge` and `report` check every output they were asked for before they start:
// finding an unwritable report after an hour of paid requests is the failure this prevents,
// and renaming a finished file over /dev/null (or over an input) would replace it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace promptbench::cli {

/// Throws UserError, naming the option and the path ("-o out/: is a directory"), unless the
/// report (`-o`) and every format path (`--NAME PATH` per entry of `formats`, a FormatPaths:
/// "" = not wanted, "-" = stdout) can be written: not a directory or another non-regular
/// file, its directory exists or can be created, a file can be created there, and no two
/// outputs are the same file however they are spelled. `-o -` is refused: the JSON report
/// is always a file. `streams` are outputs written while the run goes (`--samples PATH`, by
/// flag name without dashes; "" = not wanted): files, checked like the others. Leaves
/// nothing behind: a probe file and any directory made for the check are removed again, so
/// a dry run creates nothing.
/// `inputs` are the files the command reads while it writes (merge's parts): an output that
/// is one of them is refused, since writing it would destroy what is being read.
void check_output_paths(const std::string& report,
                        const std::map<std::string, std::string>& formats,
                        const std::map<std::string, std::string>& streams = {},
                        const std::vector<std::string>& inputs = {});

/// `report`'s outputs: every format path checked as above, and none the report it converts.
void check_format_paths(const std::map<std::string, std::string>& formats,
                        const std::string& input);

}  // namespace promptbench::cli
