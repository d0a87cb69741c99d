// SPDX-License-Identifier: Apache-2.0
// `promptbench eval`: run the evaluation, write the report, print the summary, apply gates.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/config.hpp"
#include "promptbench/runner.hpp"

namespace promptbench::cli {

namespace {

struct EvalOptions {
  std::string config;
  std::string output = "promptbench-report.json";
  int concurrency = 0;
  std::size_t limit = 0;
  std::vector<std::string> prompts;
  std::vector<std::string> providers;
  bool dry_run = false;
  bool quiet = false;
  bool verbose = false;
  bool insecure = false;
  ColorMode color = ColorMode::automatic;
  ColorMode progress = ColorMode::automatic;
};

/// A one-line progress bar on stderr, redrawn at most ten times a second.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : m_enabled(enabled), m_start(Clock::now()) {}
  ~ProgressLine() { finish(); }

  void update(const Progress& progress) {
    if (!m_enabled) {
      return;
    }
    const auto now = Clock::now();
    if (progress.done != progress.total && now - m_last_draw < std::chrono::milliseconds(100)) {
      return;
    }
    m_last_draw = now;
    const double seconds = std::chrono::duration<double>(now - m_start).count();
    const double rate = seconds > 0 ? static_cast<double>(progress.done) / seconds : 0;
    const double fraction =
        progress.total == 0 ? 1.0 : static_cast<double>(progress.done) / static_cast<double>(progress.total);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    const std::string eta =
        rate > 0 ? fmt::format("{:.0f}s", static_cast<double>(progress.total - progress.done) / rate)
                 : "-";
    std::fprintf(stderr, "\r[%s%s] %zu/%zu  %.1f req/s  errors %zu  ETA %s  ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), progress.done,
                 progress.total, rate, progress.errors, eta.c_str());
    m_drawn = true;
  }

  void finish() {
    if (m_drawn) {
      std::fprintf(stderr, "\n");
      m_drawn = false;
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool m_enabled;
  bool m_drawn = false;
  Clock::time_point m_start;
  Clock::time_point m_last_draw{};
};

int dry_run(const Config& config, const RunOptions& run, bool quiet) {
  const auto variants = plan_variants(config, run.prompt_ids, run.provider_ids);
  const Preflight checked = preflight(config, variants, run.limit);
  if (!quiet) {
    std::cout << fmt::format("dry run: {} cases x {} variants = {} requests; nothing sent\n",
                             checked.cases, variants.size(), checked.cases * variants.size());
    for (const auto& variant : variants) {
      const auto& provider = config.providers[variant.provider];
      std::cout << fmt::format("  {}  -> {} ({})\n", variant.id, provider.base_url, provider.model);
    }
  }
  return kExitOk;
}

int run_eval_command(const EvalOptions& options) {
  const Config config = load_config(resolve_config_path(options.config));
  RunOptions run;
  run.output = options.output;
  run.concurrency = options.concurrency;
  if (options.limit > 0) {
    run.limit = options.limit;
  }
  run.prompt_ids = options.prompts;
  run.provider_ids = options.providers;
  run.verify_tls = !options.insecure;
  if (options.dry_run) {
    return dry_run(config, run, options.quiet);
  }

  const bool show_progress =
      !options.quiet && (options.progress == ColorMode::always ||
                         (options.progress == ColorMode::automatic && isatty(STDERR_FILENO) != 0));
  auto transport = make_curl_transport({options.verbose});
  ProgressLine progress(show_progress);
  ReportSummary summary;
  try {
    summary = run_eval(config, run, *transport, [&](const Progress& p) { progress.update(p); });
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();

  if (!options.quiet) {
    print_summary_table(std::cout, summary, use_color(options.color, STDOUT_FILENO));
    std::cout << fmt::format("report: {}\n", options.output);
  }
  for (const auto& gate : summary.gates) {
    if (!gate.passed) {
      return kExitGateFailed;
    }
  }
  return kExitOk;
}

}  // namespace

void setup_eval(CLI::App& app, CommandState& state) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* eval = app.add_subcommand("eval", "Run the evaluation, write reports, apply gates");
  eval->add_option("config", options->config,
                   "Config file (default: promptbench.yaml, .yml or .json here)");
  eval->add_option("-o,--output", options->output, "Report JSON path")->capture_default_str();
  eval->add_option("-j,--concurrency", options->concurrency,
                   "Requests in flight across all providers (default: the config's, else 32)")
      ->check(CLI::Range(1, 65536));
  eval->add_option("--limit", options->limit, "Evaluate only the first N cases")
      ->check(CLI::PositiveNumber);
  eval->add_option("--prompt", options->prompts, "Only this prompt id (repeatable)");
  eval->add_option("--provider", options->providers, "Only this provider id (repeatable)");
  eval->add_flag("--dry-run", options->dry_run,
                 "Check everything and show the plan; send nothing");
  eval->add_flag("-q,--quiet", options->quiet, "No progress bar and no summary table");
  eval->add_flag("-v,--verbose", options->verbose,
                 "Log every request to stderr (credentials redacted)");
  eval->add_flag("--insecure", options->insecure, "Do not verify TLS certificates");
  const std::map<std::string, ColorMode> modes = {{"auto", ColorMode::automatic},
                                                  {"always", ColorMode::always},
                                                  {"never", ColorMode::never}};
  eval->add_option("--color", options->color, "Colour output: auto, always or never")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case));
  eval->add_option("--progress", options->progress, "Progress bar: auto, always or never")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case));
  eval->callback([options, &state] { state.exit_code = run_eval_command(*options); });
}

}  // namespace promptbench::cli
