// SPDX-License-Identifier: Apache-2.0
// `eval` checks every output it was asked for before it sends a request: finding an
// unwritable report after an hour of paid requests is the failure this prevents.
#pragma once

#include <map>
#include <string>

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
void check_output_paths(const std::string& report,
                        const std::map<std::string, std::string>& formats,
                        const std::map<std::string, std::string>& streams = {});

}  // namespace promptbench::cli
