// SPDX-License-Identifier: Apache-2.0
// The command line: `promptbench <command> [options]`. main() only calls run_cli.
#pragma once

namespace promptbench {

/// Exit codes (README "Commands").
enum ExitCode : int {
  kExitOk = 0,
  kExitGateFailed = 1,  ///< a gate failed or a regression was found
  kExitUserError = 2,   ///< usage, config or input error
  kExitRunFailed = 3,   ///< the run could not complete
  kExitInterrupted = 130,
};

/// Parses the arguments, runs the command and returns the process exit code. Every
/// UserError is caught here and printed as "promptbench: error: <message>".
[[nodiscard]] int run_cli(int argc, char** argv);

}  // namespace promptbench
