// SPDX-License-Identifier: Apache-2.0
// run_cli: builds the CLI11 app from the subcommand files, runs it, maps errors to exit codes.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/config.hpp"
#include "promptbench/error.hpp"
#include "promptbench/redact.hpp"
#include "util/text.hpp"

#ifndef PROMPTBENCH_VERSION
#define PROMPTBENCH_VERSION "0.0.0"
#endif

namespace promptbench {

namespace cli {

std::string resolve_config_path(const std::string& given) {
  if (!given.empty()) {
    return given;
  }
  const std::filesystem::path found = find_default_config(".");
  return found.lexically_normal().string();
}

bool use_color(ColorMode mode, int fd) {
  if (mode != ColorMode::automatic) {
    return mode == ColorMode::always;
  }
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') {
    return false;
  }
  return isatty(fd) != 0;
}

/// CLI11 reports `promptbench evaluate` as a missing subcommand; name the word instead.
std::string unknown_command_message(CLI::App& app, int argc, char** argv,
                                    const std::string& parse_error) {
  if (argc < 2 || argv[1][0] == '-' || !app.get_subcommands().empty()) {
    return parse_error;
  }
  std::vector<std::string> commands;
  for (const CLI::App* command : app.get_subcommands({})) {
    commands.push_back(command->get_name());
  }
  return fmt::format("unknown command '{}'{}", argv[1], util::did_you_mean(argv[1], commands));
}

/// CLI11 words an option given without its value as "--limit: 1 required UINT missing".
std::string plain_parse_error(const std::string& message) {
  const std::size_t colon = message.find(": ");
  if (colon != std::string::npos && message.ends_with(" missing") &&
      message.find(" required ", colon) != std::string::npos) {
    return message.substr(0, colon) + ": expected a value";
  }
  return message;
}

}  // namespace cli

int run_cli(int argc, char** argv) {
  CLI::App app{"promptbench: evaluate prompt variants against LLM endpoints on labelled data",
               "promptbench"};
  app.set_version_flag("--version", std::string("promptbench ") + PROMPTBENCH_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  cli::CommandState state;
  cli::setup_eval(app, state);
  cli::setup_compare(app, state);
  cli::setup_merge(app, state);
  cli::setup_report(app, state);
  cli::setup_validate(app, state);
  cli::setup_render(app, state);
  cli::setup_metrics(app, state);
  cli::setup_init(app, state);
  try {
    app.parse(argc, argv);
    return state.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "promptbench: error: "
              << cli::unknown_command_message(app, argc, argv, cli::plain_parse_error(e.what()))
              << "\nRun 'promptbench --help' for usage.\n";
    return kExitUserError;
  } catch (const UserError& e) {
    std::cerr << "promptbench: error: " << redact(e.what()) << "\n";
    return kExitUserError;
  } catch (const std::exception& e) {
    std::cerr << "promptbench: error: " << redact(e.what()) << "\n";
    return kExitRunFailed;
  }
}

}  // namespace promptbench
