// SPDX-License-Identifier: Apache-2.0
// `promptbench merge PART.json... -o OUT.json`: shards' reports into one, with the gates
// applied and eval's exit codes.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_paths.hpp"
#include "cli/verdict.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/error.hpp"
#include "promptbench/merge.hpp"
#include "promptbench/redact.hpp"

namespace promptbench::cli {

namespace {

struct MergeCommandOptions {
  std::vector<std::string> parts;
  std::string output = "promptbench-report.json";
  std::vector<std::string> gates;
  bool allow_missing = false;
  bool quiet = false;
  ColorMode color = ColorMode::automatic;
  FormatPaths formats;
};

/// The merged run's outcome for CI, as `eval` gives it: 3 when requests failed beyond the
/// parts' allowance or a part did not finish (a merge of unfinished work proves nothing),
/// else 1 when a gate failed, else 0. Every reason goes to stderr.
int verdict(const ReportSummary& summary, const std::string& output) {
  const RunErrors& errors = summary.run.errors;
  for (const std::string& line : describe_errors(errors)) {
    print_error(line);
  }
  const std::size_t failed_gates = print_gate_failures(summary.gates);
  if (summary.run.stop_reason == "missing_shards") {
    std::cerr << fmt::format(
        "promptbench: warning: {} of {} cases are in the shards merged (--allow-missing); the "
        "report is marked incomplete\n",
        summary.run.cases_evaluated, summary.run.dataset_cases);
  } else if (!summary.run.complete) {
    print_error(
        fmt::format("a part stopped early ({}): the merged report {} is incomplete; "
                    "finish that shard (run it again: answered requests come from its "
                    "cache) and merge again",
                    summary.run.stop_reason, output));
    return kExitRunFailed;
  }
  if (errors.exceed_allowance()) {
    print_error(
        fmt::format("the run could not complete: {} error{} and {} allowed in the parts; "
                    "every report was written ({})",
                    errors.failed(), errors.failed() == 1 ? "" : "s", errors.allowed, output));
    return kExitRunFailed;
  }
  return failed_gates > 0 ? kExitGateFailed : kExitOk;
}

void refuse_directories(const std::vector<std::string>& parts) {
  std::error_code ignored;
  for (const std::string& part : parts) {
    if (std::filesystem::is_directory(part, ignored)) {
      throw UserError(SourceLocation{part}, "", "is a directory, not a report");
    }
  }
}

int run_merge(const MergeCommandOptions& options) {
  // The merged report and its formats are written while the parts are read: none may be one.
  check_output_paths(options.output, options.formats, {}, options.parts);
  refuse_directories(options.parts);
  MergeOptions merge;
  merge.parts.assign(options.parts.begin(), options.parts.end());
  merge.output = options.output;
  merge.allow_missing = options.allow_missing;
  merge.gates = options.gates;
  const ReportSummary summary = merge_reports(merge);
  if (!options.quiet) {
    std::cout << fmt::format("merged {} part{} of {} shard{}: {} cases\n", options.parts.size(),
                             options.parts.size() == 1 ? "" : "s", summary.run.merged_count,
                             summary.run.merged_count == 1 ? "" : "s", summary.run.cases_evaluated);
    print_summary_table(std::cout, summary, use_color(options.color, STDOUT_FILENO));
    std::cout << fmt::format("report: {}\n", options.output);
  }
  write_eval_formats(options.output, options.formats);
  return verdict(summary, options.output);
}

}  // namespace

void setup_merge(CLI::App& app, CommandState& state) {
  auto options = std::make_shared<MergeCommandOptions>();
  CLI::App* merge = app.add_subcommand(
      "merge", "Merge the reports of `eval --shard` into one, recompute it, apply gates");
  merge->add_option("parts", options->parts, "The shards' report JSON files")->required();
  merge->add_option("-o,--output", options->output, "Merged report JSON path")
      ->capture_default_str();
  merge
      ->add_option("--gate", options->gates,
                   "Also fail (exit 1) unless METRIC>=X or METRIC<=X holds (as eval's --gate; "
                   "the parts' own gates always apply)")
      ->allow_extra_args(false);
  merge->add_flag("--allow-missing", options->allow_missing,
                  "Merge even when shards are missing: the report is marked incomplete and "
                  "their cases count as unscored");
  merge->add_flag("-q,--quiet", options->quiet, "No summary table");
  const std::vector<std::pair<std::string, ColorMode>> modes = {
      {"auto", ColorMode::automatic}, {"always", ColorMode::always}, {"never", ColorMode::never}};
  merge->add_option("--color", options->color, "Colour output: auto, always or never")
      ->transform(one_of(modes));
  add_format_options(*merge, options->formats);
  merge->callback([options, &state] { state.exit_code = run_merge(*options); });
}

}  // namespace promptbench::cli
