// SPDX-License-Identifier: Apache-2.0
// Subcommands, one file each: setup_X binds X's options to the app and sets the callback
// that runs it. A callback stores its exit code in `exit_code`.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace promptbench {
class ReportSource;
}  // namespace promptbench

namespace promptbench::cli {

struct CommandState {
  int exit_code = 0;
};

void setup_eval(CLI::App& app, CommandState& state);
void setup_validate(CLI::App& app, CommandState& state);
void setup_render(CLI::App& app, CommandState& state);
void setup_metrics(CLI::App& app, CommandState& state);
void setup_report(CLI::App& app, CommandState& state);
void setup_compare(CLI::App& app, CommandState& state);
void setup_merge(CLI::App& app, CommandState& state);
void setup_init(CLI::App& app, CommandState& state);

/// Report format -> output path ("" not wanted, "-" stdout), one entry per report_formats().
using FormatPaths = std::map<std::string, std::string>;
/// The report a command line names (open_report_file), refusing a directory by name.
[[nodiscard]] std::unique_ptr<ReportSource> open_report_argument(const std::string& path);

/// Adds a `--NAME PATH` option per report format (report.cpp; eval and report share them).
void add_format_options(CLI::App& command, FormatPaths& paths);
[[nodiscard]] bool any_format(const FormatPaths& paths);
/// Writes every format that has a path (atomically; "-" to stdout). Throws UserError.
void write_formats(const ReportSource& report, const FormatPaths& paths);
/// Appends the Markdown report to $GITHUB_STEP_SUMMARY when it is set; a warning if it fails.
void append_step_summary(const ReportSource& report);
/// After `eval` wrote `report_path`: write_formats and append_step_summary, reading the
/// report only when one of them has something to do.
void write_eval_formats(const std::string& report_path, const FormatPaths& paths);

/// The config path given, else the default file in the current directory.
[[nodiscard]] std::string resolve_config_path(const std::string& given);

enum class ColorMode { automatic, always, never };
/// Whether to colour output written to `fd`: --color, then NO_COLOR, then isatty.
[[nodiscard]] bool use_color(ColorMode mode, int fd);

}  // namespace promptbench::cli
