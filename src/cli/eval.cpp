// SPDX-License-Identifier: Apache-2.0
// `promptbench eval`: run the evaluation, write the report, print the summary, apply gates.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
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
  bool no_cache = false;
  std::string cache = ".promptbench/cache.db";
  std::string max_errors;
  std::vector<std::string> gates;  ///< --gate, added to the config's
  int repeat = 0;                  ///< --repeat; 0 = the config's
  ColorMode color = ColorMode::automatic;
  ColorMode progress = ColorMode::automatic;
  FormatPaths formats;  ///< --junit/--md/--csv PATH, written after the JSON report
};

std::atomic<int> g_interrupts{0};

/// SIGINT/SIGTERM: the first asks the run to stop (it finishes what is in flight and writes
/// a partial report); the second exits at once.
extern "C" void on_interrupt(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    _exit(kExitInterrupted);
  }
}

/// Installs on_interrupt for the lifetime of a run and restores the previous handlers.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupts = 0;
    struct sigaction action {};
    action.sa_handler = &on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &m_previous_int);
    sigaction(SIGTERM, &action, &m_previous_term);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &m_previous_int, nullptr);
    sigaction(SIGTERM, &m_previous_term, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction m_previous_int {};
  struct sigaction m_previous_term {};
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
    const double fraction = progress.total == 0 ? 1.0
                                                : static_cast<double>(progress.done) /
                                                      static_cast<double>(progress.total);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    const std::string eta =
        rate > 0
            ? fmt::format("{:.0f}s", static_cast<double>(progress.total - progress.done) / rate)
            : "-";
    std::fprintf(
        stderr, "\r[%s%s] %zu/%zu  %.1f req/s  errors %zu  cached %zu  retries %zu  ETA %s  ",
        std::string(static_cast<std::size_t>(filled), '#').c_str(),
        std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), progress.done,
        progress.total, rate, progress.errors, progress.cache_hits, progress.retries, eta.c_str());
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
    const auto repeat = static_cast<std::size_t>(run.repeat > 0 ? run.repeat : config.repeat);
    std::cout << fmt::format("dry run: {} cases x {} variants{} = {} requests; nothing sent\n",
                             checked.cases, variants.size(),
                             repeat > 1 ? fmt::format(" x {} repeats", repeat) : "",
                             checked.cases * variants.size() * repeat);
    for (const auto& variant : variants) {
      const auto& provider = config.providers[variant.provider];
      std::cout << fmt::format("  {}  -> {} ({})\n", variant.id, provider.base_url, provider.model);
    }
  }
  return kExitOk;
}

int run_eval_command(const EvalOptions& options) {
  Config config = load_config(resolve_config_path(options.config));
  for (const std::string& gate : options.gates) {
    config.gates.push_back(parse_gate_flag(config, gate));
  }
  RunOptions run;
  run.repeat = options.repeat;
  run.output = options.output;
  run.concurrency = options.concurrency;
  if (options.limit > 0) {
    run.limit = options.limit;
  }
  run.prompt_ids = options.prompts;
  run.provider_ids = options.providers;
  run.verify_tls = !options.insecure;
  if (!options.no_cache) {
    run.cache_path = options.cache;
  }
  if (!options.max_errors.empty()) {
    run.max_errors = parse_error_budget(options.max_errors);
    if (!run.max_errors) {
      throw UserError(
          fmt::format("--max-errors: expected a count like 10 or a percentage like "
                      "5%, got '{}'",
                      options.max_errors));
    }
  }
  run.interrupts = &g_interrupts;
  if (options.dry_run) {
    return dry_run(config, run, options.quiet);
  }

  const bool show_progress =
      !options.quiet && (options.progress == ColorMode::always ||
                         (options.progress == ColorMode::automatic && isatty(STDERR_FILENO) != 0));
  auto transport = make_curl_transport({options.verbose});
  ProgressLine progress(show_progress);
  InterruptGuard interrupt_guard;
  ReportSummary summary;
  try {
    summary = run_eval(config, run, *transport, [&](const Progress& p) { progress.update(p); });
  } catch (const RunAborted&) {
    // --max-errors: the partial report is written; its other formats are owed too, so that
    // a CI job still gets its JUnit and Markdown. A failure there must not hide the abort.
    progress.finish();
    try {
      write_eval_formats(options.output, options.formats);
    } catch (const std::exception& e) {
      std::cerr << "promptbench: error: " << e.what() << "\n";
    }
    throw;
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();

  if (!options.quiet) {
    print_summary_table(std::cout, summary, use_color(options.color, STDOUT_FILENO));
    std::cout << fmt::format("report: {}\n", options.output);
  }
  write_eval_formats(options.output, options.formats);  // from the report just written
  if (summary.run.stop_reason == "interrupted") {
    std::cerr << fmt::format(
        "promptbench: interrupted: partial report written to {}; run the same command again "
        "to finish (answered requests come from the cache)\n",
        options.output);
    return kExitInterrupted;
  }
  const auto failed = static_cast<std::size_t>(std::count_if(
      summary.gates.begin(), summary.gates.end(), [](const GateResult& g) { return !g.passed; }));
  for (const auto& gate : summary.gates) {
    if (!gate.passed) {
      std::cerr << fmt::format("promptbench: gate failed ({} of {}): {}\n", failed,
                               summary.gates.size(), describe_gate_failure(gate));
    }
  }
  return failed > 0 ? kExitGateFailed : kExitOk;
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
      ->check(whole_number(1, 65536));
  eval->add_option("--limit", options->limit, "Evaluate only the first N cases")
      ->check(whole_number(1));
  // One value per flag, so that `--prompt a cfg.yaml` leaves the config positional alone.
  eval->add_option("--prompt", options->prompts, "Only this prompt id (repeatable)")
      ->allow_extra_args(false);
  eval->add_option("--provider", options->providers, "Only this provider id (repeatable)")
      ->allow_extra_args(false);
  eval->add_flag("--dry-run", options->dry_run, "Check everything and show the plan; send nothing");
  eval->add_flag("-q,--quiet", options->quiet, "No progress bar and no summary table");
  eval->add_flag("-v,--verbose", options->verbose,
                 "Log every request to stderr (credentials redacted)");
  eval->add_flag("--insecure", options->insecure, "Do not verify TLS certificates");
  eval->add_flag("--no-cache", options->no_cache, "Neither read nor write the response cache");
  eval->add_option("--cache", options->cache,
                   "Response cache (SQLite); also the journal that makes re-runs resume")
      ->capture_default_str();
  eval->add_option("--max-errors", options->max_errors,
                   "Stop with exit 3 when request errors exceed N, or P% of all requests");
  eval->add_option("--gate", options->gates,
                   "Fail (exit 1) unless METRIC>=X or METRIC<=X holds for every variant, or "
                   "VARIANT:METRIC>=X for one; on the mean, or on the 95% CI's pessimistic end "
                   "with a final 'on ci_low' (repeatable)")
      ->allow_extra_args(false);
  eval->add_option("--repeat", options->repeat,
                   "Samples per case and variant (default: the config's repeat, else 1); "
                   "statistics average each case's samples first")
      ->check(whole_number(1, kMaxRepeat));
  const std::vector<std::pair<std::string, ColorMode>> modes = {
      {"auto", ColorMode::automatic}, {"always", ColorMode::always}, {"never", ColorMode::never}};
  eval->add_option("--color", options->color, "Colour output: auto, always or never")
      ->transform(one_of(modes));
  eval->add_option("--progress", options->progress, "Progress bar: auto, always or never")
      ->transform(one_of(modes));
  add_format_options(*eval, options->formats);
  eval->callback([options, &state] { state.exit_code = run_eval_command(*options); });
}

}  // namespace promptbench::cli
