// SPDX-License-Identifier: Apache-2.0
// Subcommands, one file each: setup_X binds X's options to the app and sets the callback
// that runs it. A callback stores its exit code in `exit_code`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace promptbench::cli {

struct CommandState {
  int exit_code = 0;
};

void setup_eval(CLI::App& app, CommandState& state);
void setup_validate(CLI::App& app, CommandState& state);
void setup_render(CLI::App& app, CommandState& state);
void setup_metrics(CLI::App& app, CommandState& state);

/// The config path given, else the default file in the current directory.
[[nodiscard]] std::string resolve_config_path(const std::string& given);

enum class ColorMode { automatic, always, never };
/// Whether to colour output written to `fd`: --color, then NO_COLOR, then isatty.
[[nodiscard]] bool use_color(ColorMode mode, int fd);

}  // namespace promptbench::cli
