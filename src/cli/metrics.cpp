// SPDX-License-Identifier: Apache-2.0
// `promptbench metrics`: every metric in the registry with its description and parameters.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/metric.hpp"

namespace promptbench::cli {

namespace {

int list_metrics() {
  std::size_t width = 0;
  for (const MetricInfo& info : metric_registry()) {
    width = std::max(width, std::string(info.name).size());
  }
  for (const MetricInfo& info : metric_registry()) {
    std::cout << fmt::format("{:<{}}  {}\n", info.name, width, info.description);
    std::cout << fmt::format("{:<{}}  parameters: {}\n", "", width, info.parameters);
  }
  std::cout << "\nEvery metric also takes `name` (report key), `threshold` (pass/fail), "
               "`higher_is_better` (direction for thresholds, gates and comparisons) and "
               "`reference` (the dataset field it scores against instead of the dataset's "
               "reference).\n";
  return kExitOk;
}

}  // namespace

void setup_metrics(CLI::App& app, CommandState& state) {
  CLI::App* metrics = app.add_subcommand("metrics", "List every metric and its parameters");
  metrics->callback([&state] { state.exit_code = list_metrics(); });
}

}  // namespace promptbench::cli
