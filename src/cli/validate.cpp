// SPDX-License-Identifier: Apache-2.0
// `promptbench validate`: check the config, templates, metrics and dataset; send nothing.
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/plan_line.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/config.hpp"
#include "promptbench/runner.hpp"

namespace promptbench::cli {

namespace {

int run_validate(const std::string& config_arg) {
  const std::string path = resolve_config_path(config_arg);
  const Config config = load_config(path);
  const auto variants = plan_variants(config, {}, {});
  // Every case of every split: a split field's values are checked too.
  const std::optional<SplitChoice> split =
      config.dataset.split.configured() ? std::optional(SplitChoice::all) : std::nullopt;
  const Preflight checked = preflight(config, variants, std::nullopt, {}, {}, split);
  for (const auto& provider : config.providers) {
    const char* key = provider.api_key_env.empty() ? "" : std::getenv(provider.api_key_env.c_str());
    if (!provider.api_key_env.empty() && (key == nullptr || *key == '\0')) {
      std::cerr << fmt::format(
          "promptbench: warning: provider '{}': environment variable '{}' is not set; eval "
          "will refuse to run\n",
          provider.id, provider.api_key_env);
    }
  }
  // Counted as `eval --dry-run` counts them: repeats are requests too.
  std::cout << fmt::format(
      "{}: ok ({}, {} metric{})\n", path,
      request_count(checked.cases, variants.size(), recorded_variants(config, variants),
                    static_cast<std::size_t>(config.repeat)),
      config.metrics.size(), config.metrics.size() == 1 ? "" : "s");
  if (split) {
    std::cout << split_plan(config, checked) << "; eval runs dev unless --split test or all\n";
  }
  return kExitOk;
}

}  // namespace

void setup_validate(CLI::App& app, CommandState& state) {
  auto config = std::make_shared<std::string>();
  CLI::App* validate =
      app.add_subcommand("validate", "Check config, templates, metrics and dataset; send nothing");
  validate->add_option("config", *config,
                       "Config file (default: promptbench.yaml, .yml or .json here)");
  validate->callback([config, &state] { state.exit_code = run_validate(*config); });
}

}  // namespace promptbench::cli
