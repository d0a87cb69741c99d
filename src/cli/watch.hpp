// SPDX-License-Identifier: Apache-2.0
// `eval --watch`: run, then run again whenever a file the config reads changes, printing what
// changed since the previous run, until Ctrl-C (README "Watch: re-run on every edit").
#pragma once

#include <functional>
#include <string>

#include "promptbench/case_result.hpp"
#include "promptbench/config.hpp"
#include "promptbench/report.hpp"

namespace promptbench::cli {

/// What one `eval` run tells the watch, each hook optional: the config as loaded (before
/// anything else can fail), every case as it reaches the report, and the run's summary.
struct RunObserver {
  std::function<void(const Config&)> on_config;
  std::function<void(const CaseRecord&)> on_case;
  std::function<void(const ReportSummary&)> on_summary;
};

/// One `eval` run as the command line asked for it; returns its exit code. Throws UserError
/// for a mistake in the input, like run_eval_command.
using EvalOnce = std::function<int(const RunObserver&)>;

struct WatchOptions {
  std::string config;     ///< as given (empty: the default file), watched even while it is broken
  bool quiet = false;     ///< -q: no change table
  bool no_cache = false;  ///< --no-cache, refused: the cache is what makes a re-run cheap
  bool dry_run = false;   ///< --dry-run, refused: a watch runs
};

/// Runs `run_once` now and after every change to a file the last loaded config reads (the
/// config included). A run that throws (a bad edit) prints the located error and the watch
/// goes on. Returns kExitInterrupted after Ctrl-C (SIGINT or SIGTERM) -- while waiting, or
/// during a run, which then stops as `eval` stops and writes its partial report. Throws
/// UserError for --no-cache or --dry-run.
[[nodiscard]] int watch_eval(const WatchOptions& options, const EvalOnce& run_once);

}  // namespace promptbench::cli
