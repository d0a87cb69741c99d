// SPDX-License-Identifier: Apache-2.0
// `promptbench eval`: run the evaluation, write the report, print the summary, apply gates.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.hpp"
#include "cli/failures.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_paths.hpp"
#include "cli/plan_line.hpp"
#include "cli/progress.hpp"
#include "cli/samples_file.hpp"
#include "cli/verdict.hpp"
#include "cli/watch.hpp"
#include "engine/open_files.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/concurrency.hpp"
#include "promptbench/config.hpp"
#include "promptbench/holdout.hpp"
#include "promptbench/redact.hpp"
#include "promptbench/report_formats.hpp"
#include "promptbench/runner.hpp"
#include "promptbench/selection.hpp"
#include "provider/providers/recorded.hpp"
#include "util/atomic_file.hpp"

namespace promptbench::cli {

namespace {

struct EvalOptions {
  std::string config;
  std::string output = "promptbench-report.json";
  int concurrency = 0;
  std::size_t limit = 0;
  std::string shard;                 ///< --shard I/N, auto or auto/N; empty = the whole dataset
  std::optional<SplitChoice> split;  ///< --split dev|test|all; unset = dev with splits
  bool force_look = false;           ///< --force-look: past holdout.max_looks
  SelectionCriteria selection;       ///< --case, --case-pattern, --sample/--seed, --filter-*
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
  FormatPaths formats;  ///< --junit/--md/--csv/--html PATH, written after the JSON report
  std::string samples;  ///< --samples PATH: a JSON line per result, as cases finish
  std::optional<std::size_t> show_failures;  ///< --show-failures [N]: per variant
  bool watch = false;                        ///< --watch: run again on every edit
  bool slices = false;                       ///< --slices: the per-slice tables too
};

std::atomic<int> g_interrupts{0};

/// What a second interrupt removes and says, prepared before the run: a signal handler may
/// only call async-signal-safe functions (unlink, write, _exit), so nothing is formatted
/// there.
struct HardStop {
  std::array<char, 4096> spool{};    ///< REPORT.cases.tmp
  std::array<char, 4096> partial{};  ///< util::atomic_temp_path(REPORT), if being written
  std::array<char, 1024> message{};
};
HardStop g_hard_stop;

template <std::size_t N>
void copy_to(std::array<char, N>& buffer, const std::string& text) {
  const std::size_t n = std::min(text.size(), buffer.size() - 1);
  std::copy_n(text.begin(), n, buffer.begin());
  buffer[n] = '\0';
}

/// SIGINT/SIGTERM: the first asks the run to stop (it finishes what is in flight and writes
/// a partial report); the second exits at once, removing the report's temporary files.
extern "C" void on_interrupt(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    if (g_hard_stop.spool[0] != '\0') {
      unlink(g_hard_stop.spool.data());
    }
    if (g_hard_stop.partial[0] != '\0') {
      unlink(g_hard_stop.partial.data());
    }
    const std::size_t length = std::strlen(g_hard_stop.message.data());
    const ssize_t ignored = write(STDERR_FILENO, g_hard_stop.message.data(), length);
    (void)ignored;
    _exit(kExitInterrupted);
  }
}

/// Installs on_interrupt for the lifetime of a run and restores the previous handlers.
class InterruptGuard {
 public:
  InterruptGuard(const std::filesystem::path& report, const std::string& cache) {
    copy_to(g_hard_stop.spool, report.string() + ".cases.tmp");
    copy_to(g_hard_stop.partial, util::atomic_temp_path(report).string());
    const std::string kept =
        cache.empty() ? "nothing was kept (--no-cache): a re-run starts over"
                      : fmt::format(
                            "the answers received so far are in the cache {}: run the same command "
                            "again to resume",
                            cache);
    copy_to(g_hard_stop.message,
            redact(fmt::format("\npromptbench: interrupted twice: stopped at once without a "
                               "report ({} is as it was); {}\n",
                               report.string(), kept)));
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
    g_hard_stop = HardStop{};
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction m_previous_int {};
  struct sigaction m_previous_term {};
};

/// Where a provider's requests go, for the dry run: its replicas, its base URL, a custom
/// service's `url`, or the type's public API.
std::string destination(const ProviderConfig& provider) {
  if (provider.type == providers::kRecordedType) {
    return "recorded outputs in " + providers::recorded_file(provider).display + " (sends nothing)";
  }
  if (provider.base_urls.size() > 1) {
    return fmt::format("{}", fmt::join(provider.base_urls, " | "));
  }
  if (!provider.base_url.empty()) {
    return provider.base_url;
  }
  if (const auto url = provider.options.find("url");
      url != provider.options.end() && url->is_string()) {
    return url->get<std::string>();
  }
  return "(the " + provider.type + " API)";
}

/// "shards of 4: 33 34 31 34 cases; this is shard 1 (34 cases)".
void print_shard_counts(const Preflight& checked, const Shard& shard) {
  std::cout << fmt::format("shards of {}: {} cases; this is shard {} ({} case{})\n", shard.count,
                           fmt::join(checked.shard_counts, " "), shard.index, checked.shard_cases,
                           checked.shard_cases == 1 ? "" : "s");
}

/// "selected 12 of 132 cases (--case-pattern ^r0, --sample 20 --seed 0): r01, r04, ...".
void print_selection(const Preflight& checked, const SelectionCriteria& selection) {
  const bool more = checked.selected_cases > checked.first_selected.size();
  std::cout << redact(fmt::format("selected {} of {} case{} ({}): {}{}\n", checked.selected_cases,
                                  checked.cases, checked.cases == 1 ? "" : "s",
                                  selection.describe(), fmt::join(checked.first_selected, ", "),
                                  more ? ", ..." : ""));
}

/// Makes room for the requests the run keeps in flight: raises the soft open-file limit, or,
/// when even the hard limit is too low, runs fewer at once and says so, rather than failing
/// mid-run with "Too many open files" (README "Limits").
void fit_to_open_files(const Config& config, RunOptions& run) {
  const auto variants = plan_variants(config, run.prompt_ids, run.provider_ids);
  const ConcurrencyPlan plan = plan_concurrency(config, variants, run.concurrency);
  const OpenFileFit fit = fit_open_files(plan.global);
  if (fit.clamped(plan.global)) {
    std::cerr << fmt::format(
        "promptbench: warning: {} requests in flight ({}) need {} open files, over the hard "
        "open-file limit of {} (ulimit -Hn); running {} at most\n",
        plan.global, plan.global_source, fit.needed, fit.hard, fit.concurrency);
    run.concurrency = fit.concurrency;
  }
}

/// --split, or dev when the dataset has splits; none without. Throws UserError for --split
/// on a dataset without splits.
std::optional<SplitChoice> choose_split(const Config& config, std::optional<SplitChoice> flag) {
  if (!config.dataset.split.configured()) {
    if (flag) {
      throw UserError(fmt::format(
          "--split {}: the dataset has no splits; set dataset.split (e.g. {{dev: 0.8, test: "
          "0.2}}) or dataset.split_field in {}",
          to_string(*flag), config.path.string()));
    }
    return std::nullopt;
  }
  return flag.value_or(SplitChoice::dev);
}

/// The dry run's split lines: the plan, and for a look at the test split, how often it was
/// looked at (a dry run is no look).
void print_split_plan(const Config& config, const Preflight& checked, SplitChoice split,
                      const std::string& cache) {
  std::cout << split_plan(config, checked)
            << fmt::format("; this run: {} ({} case{})\n", to_string(split), checked.split_cases,
                           checked.split_cases == 1 ? "" : "s");
  if (looks_at_test(split)) {
    const std::filesystem::path ledger = holdout_ledger_path(cache);
    const LookCount looks = HoldoutLedger::read(ledger).count(holdout_split_key(config, ledger));
    std::cout << fmt::format(
        "holdout: the test split was looked at {} time{} before{} (ledger {}); a dry run is no "
        "look\n",
        looks.looks, looks.looks == 1 ? "" : "s",
        config.holdout.max_looks ? fmt::format(", max_looks {}", *config.holdout.max_looks) : "",
        ledger.string());
  }
}

int dry_run(const Config& config, const RunOptions& run, bool quiet, const std::string& cache) {
  const auto variants = plan_variants(config, run.prompt_ids, run.provider_ids);
  const Preflight checked =
      preflight(config, variants, run.limit, run.shard, run.selection, run.split);
  if (!quiet) {
    if (run.split) {
      print_split_plan(config, checked, *run.split, cache);
    }
    if (!run.selection.selects_all()) {
      print_selection(checked, run.selection);
    }
    const auto repeat = static_cast<std::size_t>(run.repeat > 0 ? run.repeat : config.repeat);
    const std::size_t cases = checked.shard_cases;
    if (!run.shard.whole()) {
      print_shard_counts(checked, run.shard);
    }
    std::cout << "dry run: "
              << request_count(cases, variants.size(), recorded_variants(config, variants), repeat)
              << "; nothing sent\n";
    for (const auto& variant : variants) {
      const auto& provider = config.providers[variant.provider];
      std::cout << redact(fmt::format("  {}  -> {}{}\n", variant.id, destination(provider),
                                      provider.model.empty() ? "" : " (" + provider.model + ")"));
    }
    for (const std::string& line :
         describe(plan_concurrency(config, variants, run.concurrency), config)) {
      std::cout << redact(line) << '\n';
    }
  }
  return kExitOk;
}

/// What the run's outcome means for CI, said on stderr (also with -q) and as the exit code:
/// 130 interrupted; 3 failures beyond the allowance (even when every gate passed -- a gate
/// over the cases that happened to succeed proves nothing); 1 a gate failed; else 0.
int verdict(const ReportSummary& summary, const EvalOptions& options) {
  const RunErrors& errors = summary.run.errors;
  for (const std::string& line : describe_errors(errors)) {
    print_error(line);
  }
  if (errors.extract_failures > 0) {
    std::cerr << fmt::format(
        "promptbench: note: {} output{} did not match the extraction and {} left unscored\n",
        errors.extract_failures, errors.extract_failures == 1 ? "" : "s",
        errors.extract_failures == 1 ? "is" : "are");
  }
  if (summary.run.stop_reason == "interrupted") {
    std::cerr << fmt::format(
        "promptbench: interrupted: partial report ({} of {} case{}) written to {}; {}\n",
        summary.run.cases_evaluated, summary.run.shard_cases,
        summary.run.shard_cases == 1 ? "" : "s", options.output,
        options.no_cache ? "a re-run starts over (--no-cache)"
                         : "run the same command again to finish (answered requests come from "
                           "the cache)");
    return kExitInterrupted;
  }
  if (summary.run.stop_reason == "cache_error") {
    print_error(
        fmt::format("{}; the run stopped: partial report ({} of {} case{}) written to "
                    "{}; once the cache is usable again, run the same command: what it "
                    "holds is not sent again",
                    summary.run.stop_detail, summary.run.cases_evaluated, summary.run.shard_cases,
                    summary.run.shard_cases == 1 ? "" : "s", options.output));
    return kExitRunFailed;
  }
  // A gate over one shard's cases is no verdict: `merge` applies the gates to the whole.
  const bool gates_deferred = !summary.run.shard.whole();
  if (gates_deferred && !summary.gates.empty()) {
    std::cerr << "promptbench: note: a shard's gates are applied when the shards are merged\n";
  }
  const std::size_t failed = gates_deferred ? 0 : print_gate_failures(summary.gates);
  // A loss on one slice the overall comparison hides is said even without --slices.
  for (const std::string& line : slice_findings(summary.comparisons, summary.slices, true)) {
    std::cerr << redact("promptbench: slice regression: " + line) << '\n';
  }
  if (summary.run.stop_reason == "max_errors") {
    print_error(fmt::format(
        "stopped early: {} error{} exceed{} the allowance of {} (--max-errors); the partial "
        "report is in {}",
        errors.failed(), errors.failed() == 1 ? "" : "s", errors.failed() == 1 ? "s" : "",
        errors.allowed, options.output));
    return kExitRunFailed;
  }
  if (errors.exceed_allowance()) {
    print_error(fmt::format(
        "the run could not complete: {} error{} and {} allowed; every report was written ({}); "
        "to accept some errors, use --max-errors N or N% (or max_errors: in the config)",
        errors.failed(), errors.failed() == 1 ? "" : "s", errors.allowed, options.output));
    return kExitRunFailed;
  }
  return failed > 0 ? kExitGateFailed : kExitOk;
}

/// One run. `observer` (--watch) sees the config, the cases and the summary; null = none.
int run_eval_command(const EvalOptions& options, const RunObserver* observer = nullptr) {
  Config config = load_config(resolve_config_path(options.config));
  if (observer != nullptr && observer->on_config) {
    observer->on_config(config);
  }
  // Before anything is sent or written. A report over the dataset, the config or the cache
  // would destroy it.
  std::vector<std::string> inputs = {config.path.string(), config.dataset.path.string()};
  if (!options.no_cache) {
    inputs.push_back(options.cache);
  }
  check_output_paths(options.output, options.formats, {{"samples", options.samples}}, inputs);
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
  run.selection = options.selection;
  if (!options.shard.empty()) {
    run.shard = parse_shard(options.shard);
  }
  run.prompt_ids = options.prompts;
  run.provider_ids = options.providers;
  run.verify_tls = !options.insecure;
  if (!options.no_cache) {
    run.cache_path = options.cache;
  }
  if (!options.max_errors.empty()) {
    run.max_errors = parse_allowance(options.max_errors);
    if (!run.max_errors) {
      throw UserError(
          fmt::format("--max-errors: expected {}, got '{}'", kAllowanceForms, options.max_errors));
    }
  }
  run.split = choose_split(config, options.split);
  run.interrupts = &g_interrupts;
  if (options.dry_run) {
    return dry_run(config, run, options.quiet, options.cache);
  }
  // Checked before anything is sent; recorded once the report is written.
  std::optional<HoldoutGuard> holdout;
  if (run.split && looks_at_test(*run.split)) {
    holdout.emplace(config, run.prompt_ids, holdout_ledger_path(options.cache), *run.split,
                    run.shard, options.force_look);
    run.holdout = holdout->report_entry();
  }
  fit_to_open_files(config, run);

  const bool show_progress =
      !options.quiet && (options.progress == ColorMode::always ||
                         (options.progress == ColorMode::automatic && isatty(STDERR_FILENO) != 0));
  auto transport = make_curl_transport();
  ProgressLine progress(show_progress);
  if (options.verbose) {
    run.log = [&progress](const std::string& line) { progress.print_line(redact(line)); };
    const auto variants = plan_variants(config, run.prompt_ids, run.provider_ids);
    for (const std::string& line :
         describe(plan_concurrency(config, variants, run.concurrency), config)) {
      progress.print_line(redact(line));
    }
  }
  std::optional<SamplesFile> samples;
  if (!options.samples.empty()) {
    samples.emplace(options.samples);
    run.on_case = [&samples](const CaseRecord& record) { samples->write(record); };
  }
  if (observer != nullptr && observer->on_case) {
    run.on_case = [first = run.on_case, observer](const CaseRecord& record) {
      if (first) {
        first(record);
      }
      observer->on_case(record);
    };
  }
  InterruptGuard interrupt_guard(run.output, run.cache_path.string());
  ReportSummary summary;
  try {
    summary = run_eval(config, run, *transport, [&](const Progress& p) { progress.update(p); });
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();
  if (holdout) {
    holdout->record(summary);
  }
  if (observer != nullptr && observer->on_summary) {
    observer->on_summary(summary);
  }

  if (!options.quiet) {
    print_summary_table(std::cout, summary, use_color(options.color, STDOUT_FILENO));
    if (options.slices) {
      print_slice_tables(std::cout, summary, use_color(options.color, STDOUT_FILENO));
    }
    if (options.show_failures) {
      print_failures(std::cout, *open_report_file(options.output), *options.show_failures);
    }
    std::cout << fmt::format("report: {}\n", options.output);
  }
  write_eval_formats(options.output, options.formats);  // from the report just written
  return verdict(summary, options);
}

/// README "Choosing cases".
void add_selection_options(CLI::App& eval, SelectionCriteria& selection) {
  eval.add_option("--case", selection.ids, "Only the case with this id (repeatable)")
      ->allow_extra_args(false);
  eval.add_option("--case-pattern", selection.pattern,
                  "Only the cases whose id the RE2 expression matches (anywhere in the id, "
                  "like grep; anchor with ^ and $)");
  CLI::Option* sample =
      eval.add_option("--sample", selection.sample,
                      "A seeded random N of the selected cases: the N whose ids hash lowest with "
                      "--seed; the same on every machine, stable when rows are appended")
          ->check(whole_number(1));
  eval.add_option("--seed", selection.seed, "The seed of --sample (default 0)")->needs(sample);
  eval.add_option("--filter-failing", selection.filter_failing,
                  "Only the cases that failed in this report: an error, a score error or a "
                  "failed pass flag in any variant or repeat");
  eval.add_option("--filter-errors-only", selection.filter_errors_only,
                  "Only the cases with a request or extraction error in this report");
}

}  // namespace

void setup_eval(CLI::App& app, CommandState& state) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* eval = app.add_subcommand("eval", "Run the evaluation, write reports, apply gates");
  eval->add_option("config", options->config,
                   "Config file (default: promptbench.yaml, .yml or .json here)");
  eval->add_option("-o,--output", options->output, "Report JSON path")->capture_default_str();
  eval->add_option("-j,--concurrency", options->concurrency,
                   "Requests in flight across all providers (default: the config's concurrency, "
                   "else the sum of the providers' limits)")
      ->check(whole_number(1, 65536));
  eval->add_option("--limit", options->limit, "Evaluate only the first N cases")
      ->check(whole_number(1));
  eval->add_option("--shard", options->shard,
                   "Run one shard of the cases: I/N (0-based), auto (a Slurm array) or auto/N "
                   "(a Kubernetes Indexed Job); merge the shards' reports with `merge`");
  add_selection_options(*eval, options->selection);
  eval->add_option("--split", options->split,
                   "Run the dev split, the test split or all cases (default: dev when the "
                   "dataset has splits); a run with test cases is a look, counted in the "
                   "holdout ledger")
      ->transform(one_of(std::vector<std::pair<std::string, SplitChoice>>{
          {"dev", SplitChoice::dev}, {"test", SplitChoice::test}, {"all", SplitChoice::all}}));
  eval->add_flag("--force-look", options->force_look,
                 "Evaluate the test split even past holdout.max_looks (the look is recorded)");
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
                   "Tolerate N (or P% of the planned requests) failed requests, judge and "
                   "scorer calls, and stop with exit 3 as soon as there are more (default: "
                   "the config's max_errors, else none tolerated: the run finishes, then "
                   "exits 3)");
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
  eval->add_option("--samples", options->samples,
                   "Write a JSON line per result to this file as cases finish (for jq, pandas)");
  eval->add_option("--show-failures", options->show_failures,
                   "After the table, up to N (default 5) failed or errored results per variant: "
                   "id, reference, output excerpt, scores, error")
      ->expected(0, 1)
      ->default_str("5")
      ->check(whole_number(1));
  eval->add_flag("--slices", options->slices,
                 "After the table, every slice value's (config 'slices:') means, intervals and "
                 "comparisons with the baseline");
  eval->add_flag("--watch", options->watch,
                 "Run again whenever the config or a file it names changes (prompts, dataset, "
                 "rubrics, scorers); only changed requests are sent; Ctrl-C ends it");
  eval->callback([options, &state] {
    if (options->watch && options->split && looks_at_test(*options->split)) {
      throw UserError(fmt::format(
          "--watch with --split {}: watching is iterating, and every re-run would be a look at "
          "the test split; watch the dev split, and look at test with one eval --split {}",
          to_string(*options->split), to_string(*options->split)));
    }
    if (!options->watch) {
      state.exit_code = run_eval_command(*options);
      return;
    }
    // A Ctrl-C after the run's last request (while reports are written) ends the watch too.
    const auto once = [options](const RunObserver& observer) {
      const int code = run_eval_command(*options, &observer);
      return g_interrupts > 0 ? static_cast<int>(kExitInterrupted) : code;
    };
    state.exit_code =
        watch_eval({options->config, options->quiet, options->no_cache, options->dry_run}, once);
  });
}

}  // namespace promptbench::cli
