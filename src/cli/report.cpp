// SPDX-License-Identifier: Apache-2.0
// `promptbench report REPORT.json --md/--junit/--csv/--html PATH`: convert an existing report; and
// the format flags and writers that `eval` shares.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/failures.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_paths.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"

namespace promptbench::cli {

std::unique_ptr<ReportSource> open_report_argument(const std::string& path) {
  // An ifstream opens a directory and then fails at its first read, deep in the parser.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw UserError(SourceLocation{path}, "", "is a directory, not a report");
  }
  return open_report_file(path);
}

void add_format_options(CLI::App& command, FormatPaths& paths) {
  for (const ReportFormat& format : report_formats()) {
    command
        .add_option(fmt::format("--{}", format.name), paths[format.name],
                    fmt::format("Write {} to PATH ('-': stdout)", format.description))
        ->type_name("PATH");
  }
}

bool any_format(const FormatPaths& paths) {
  for (const auto& [name, path] : paths) {
    if (!path.empty()) {
      return true;
    }
  }
  return false;
}

void write_formats(const ReportSource& report, const FormatPaths& paths) {
  for (const ReportFormat& format : report_formats()) {
    const auto it = paths.find(format.name);
    if (it == paths.end() || it->second.empty()) {
      continue;
    }
    if (it->second == "-") {
      format.render(report, std::cout);
      std::cout.flush();
    } else {
      write_report_format(format, report, it->second);
    }
  }
}

void append_step_summary(const ReportSource& report) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0') {
    return;
  }
  // Appended, not replaced: every step of a job adds to the same summary file.
  std::ostringstream markdown;
  render_markdown(report, markdown);
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << markdown.str() << '\n';
  out.flush();
  if (!out) {
    std::cerr << fmt::format("promptbench: warning: cannot append to $GITHUB_STEP_SUMMARY ({})\n",
                             path);
  }
}

void write_eval_formats(const std::string& report_path, const FormatPaths& paths) {
  const char* step_summary = std::getenv("GITHUB_STEP_SUMMARY");
  if (!any_format(paths) && (step_summary == nullptr || *step_summary == '\0')) {
    return;
  }
  const auto report = open_report_file(report_path);
  write_formats(*report, paths);
  append_step_summary(*report);
}

namespace {

struct ReportOptions {
  std::string input;
  FormatPaths formats;
  std::optional<std::size_t> show_failures;  ///< --show-failures [N]: per variant
};

int run_report(const ReportOptions& options) {
  if (!any_format(options.formats) && !options.show_failures) {
    std::vector<std::string> flags;
    for (const ReportFormat& format : report_formats()) {
      flags.push_back(fmt::format("--{} PATH", format.name));
    }
    throw UserError(
        fmt::format("report: nothing to write; give at least one of {}", fmt::join(flags, ", ")));
  }
  check_format_paths(options.formats, options.input);
  const auto report = open_report_argument(options.input);
  write_formats(*report, options.formats);
  if (options.show_failures) {
    print_failures(std::cout, *report, *options.show_failures);
  }
  return kExitOk;
}

}  // namespace

void setup_report(CLI::App& app, CommandState& state) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* report = app.add_subcommand(
      "report", "Convert a report JSON to other formats (--md, --junit, --csv, --html PATH)");
  report->add_option("report", options->input, "The report JSON written by eval")
      ->required()
      ->type_name("REPORT.json");
  add_format_options(*report, options->formats);
  report
      ->add_option("--show-failures", options->show_failures,
                   "Print up to N (default 5) failed or errored results per variant: id, "
                   "reference, output excerpt, scores, error")
      ->expected(0, 1)
      ->default_str("5")
      ->check(whole_number(1));
  report->callback([options, &state] { state.exit_code = run_report(*options); });
}

}  // namespace promptbench::cli
