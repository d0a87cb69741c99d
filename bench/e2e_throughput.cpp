// SPDX-License-Identifier: Apache-2.0
// End-to-end throughput benchmark: times `promptbench eval` against `promptbench-stub` and
// prints requests/s, CPU per request, peak RSS and wall time against the ideal.
//
// Each scenario gets a fresh temporary directory (dataset, config, report), a fresh stub and
// one `promptbench eval` child measured with wait4(). Only processes started here are ever
// signalled, by their own PIDs. See docs/BENCHMARKS.md for what each figure means.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "e2e_support.hpp"
#include "scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;
using promptbench::bench::check_echo_report;
using promptbench::bench::check_echo_stub;
using promptbench::bench::Child;
using promptbench::bench::cpu_seconds;
using promptbench::bench::Exit;
using promptbench::bench::field;
using promptbench::bench::load_average;
using promptbench::bench::machine_busy_seconds;
using promptbench::bench::measure_floor_mib;
using promptbench::bench::read_text;
using promptbench::bench::ScratchDir;
using promptbench::bench::Stub;
using promptbench::bench::tail;
using promptbench::bench::write_echo_inputs;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// Scenarios and options
// ---------------------------------------------------------------------------------------------

struct Scenario {
  std::string name;  ///< "lat0-c16", "mem-100000", ...
  int latency_ms = 0;
  int concurrency = 0;
  std::size_t cases = 0;
  bool memory = false;  ///< part of the memory-scaling table
};

struct Options {
  bool quick = false;             ///< small case counts, for a smoke run
  bool big = false;               ///< add the 1M-case memory scenario
  bool keep = false;              ///< keep the temporary directories
  bool no_cache = false;          ///< pass --no-cache (default: a fresh cache.db)
  bool stub_compression = false;  ///< let the stub compress its answers (default: --no-compression)
  int repeat = 1;                 ///< runs per scenario; the median wall is shown
  std::optional<std::size_t> cases;           ///< override the case count of the throughput runs
  std::string promptbench = PROMPTBENCH_BIN;  ///< the binary under test
  std::string stub = PROMPTBENCH_STUB_BIN;    ///< the endpoint
  std::vector<std::string> scenarios;         ///< names or prefixes to run; empty = all
};

constexpr const char* kScenarioHelp =
    "Scenarios: lat0-c16 lat0-c64 lat0-c256 lat100-c16 lat100-c64 lat100-c256 mem-1000 "
    "mem-100000 (mem-1000000 with --big); a prefix selects several (lat0, lat100, mem).";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "promptbench-bench-e2e: " << message << "\n" << kScenarioHelp << "\n";
  std::exit(2);
}

/// The options, or exit: 0 after --help, 2 for a usage error.
Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app(
      "End-to-end throughput of promptbench eval against promptbench-stub "
      "(docs/BENCHMARKS.md).",
      "promptbench-bench-e2e");
  app.footer(kScenarioHelp);
  const auto positive = CLI::Range(std::size_t{1}, std::size_t{999'999'999});
  std::size_t cases = 0;
  app.add_flag("--quick", options.quick, "Small case counts, for a smoke run");
  app.add_flag("--big", options.big, "Add the 1,000,000-case memory scenario");
  app.add_option("--cases", cases, "Case count of the throughput scenarios")->check(positive);
  app.add_option("--repeat", options.repeat, "Runs per scenario; the median wall is shown")
      ->check(CLI::Range(1, 999'999'999));
  app.add_flag("--no-cache", options.no_cache, "Pass --no-cache to promptbench");
  app.add_flag("--stub-compression", options.stub_compression, "Let the stub compress its answers");
  app.add_option("--scenario", options.scenarios, "A scenario name or prefix (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--keep", options.keep, "Keep the scratch directories");
  app.add_option("--promptbench", options.promptbench, "The promptbench binary to measure")
      ->capture_default_str();
  app.add_option("--stub", options.stub, "The promptbench-stub binary")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    std::exit(code == 0 ? 0 : 2);
  }
  if (app.count("--cases") > 0) {
    options.cases = cases;
  }
  return options;
}

std::vector<Scenario> plan_scenarios(const Options& options) {
  std::vector<Scenario> all;
  for (const int latency : {0, 100}) {
    for (const int concurrency : {16, 64, 256}) {
      std::size_t cases = 0;
      if (latency == 0) {
        cases = options.quick ? 2'000 : 20'000;
      } else {
        // 10 s of ideal wall time (1 s with --quick), so that the fixed start-up and report
        // costs, which the ideal leaves out, weigh little against it.
        const std::size_t seconds = options.quick ? 1 : 10;
        cases = seconds * 1000 * static_cast<std::size_t>(concurrency) / latency;
      }
      all.push_back({fmt::format("lat{}-c{}", latency, concurrency), latency, concurrency,
                     options.cases.value_or(cases), false});
    }
  }
  std::vector<std::size_t> memory_cases = {1'000, options.quick ? std::size_t{10'000} : 100'000};
  if (options.big) {
    memory_cases.push_back(1'000'000);
  }
  for (const std::size_t cases : memory_cases) {
    all.push_back({fmt::format("mem-{}", cases), 0, 64, cases, true});
  }
  if (options.scenarios.empty()) {
    return all;
  }
  std::vector<Scenario> chosen;
  for (const Scenario& scenario : all) {
    for (const std::string& wanted : options.scenarios) {
      if (scenario.name == wanted || scenario.name.rfind(wanted + "-", 0) == 0) {
        chosen.push_back(scenario);
        break;
      }
    }
  }
  if (chosen.empty()) {
    usage_error("no scenario matches the --scenario names given");
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// One scenario
// ---------------------------------------------------------------------------------------------

struct Result {
  Scenario scenario;
  double wall_s = 0;
  double cpu_s = 0;    ///< user + system CPU of the promptbench process only (its wait4())
  double rss_mib = 0;  ///< its ru_maxrss
  double stub_cpu_s = 0;
  double busy_s = 0;  ///< CPU time the whole machine spent busy during the eval
  long long in_flight_max = 0;
  std::vector<std::string> failures;  ///< empty = every check passed
};

Result run_scenario(const Scenario& scenario, const Options& options) {
  Result result;
  result.scenario = scenario;
  const ScratchDir scratch(options.keep);
  const fs::path& dir = scratch.path();
  try {
    Stub stub(options.stub, dir, scenario.latency_ms, scenario.concurrency,
              options.stub_compression);
    write_echo_inputs(dir, scenario.name, scenario.cases, scenario.concurrency, stub.port());

    // The cache, when on, is a fresh .promptbench/cache.db in the scratch directory (the
    // child's working directory): a first run, every answer journaled, none answered from it.
    std::vector<std::string> argv = {options.promptbench,
                                     "eval",
                                     (dir / "bench.yaml").string(),
                                     "-q",
                                     "-o",
                                     (dir / "report.json").string(),
                                     "-j",
                                     std::to_string(scenario.concurrency),
                                     "--progress",
                                     "never",
                                     "--color",
                                     "never"};
    if (options.no_cache) {
      argv.emplace_back("--no-cache");
    }
    // Generous but bounded: two minutes of slack, 2 ms per case, three times the ideal.
    const double ideal_s =
        static_cast<double>(scenario.cases) * scenario.latency_ms / 1000.0 / scenario.concurrency;
    const milliseconds timeout(120'000 + 2 * static_cast<long long>(scenario.cases) +
                               static_cast<long long>(3'000 * ideal_s));

    const double busy_before = machine_busy_seconds();
    const Clock::time_point start = Clock::now();
    Child eval(argv, dir, dir / "eval.out", dir / "eval.err");
    const Exit exit = eval.wait(timeout);
    result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    result.busy_s = machine_busy_seconds() - busy_before;
    result.cpu_s = cpu_seconds(exit.usage);
    result.rss_mib = static_cast<double>(exit.usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB

    if (exit.timed_out) {
      result.failures.push_back(fmt::format("eval timed out after {} s", timeout.count() / 1000));
    } else if (exit.code != 0) {
      result.failures.push_back(
          fmt::format("eval exited {}: {}", exit.code, tail(read_text(dir / "eval.err"))));
    }
    if (!exit.timed_out) {
      check_echo_report(dir / "report.json", scenario.cases, result.failures);
    }
    const nlohmann::json stats = stub.stats();
    result.in_flight_max = field(stats, "in_flight_max").is_number_integer()
                               ? field(stats, "in_flight_max").get<long long>()
                               : -1;
    check_echo_stub(stats, scenario.cases, scenario.concurrency, result.failures);
    const Exit stub_exit = stub.stop();
    result.stub_cpu_s = cpu_seconds(stub_exit.usage);
    if (stub_exit.code != 0) {
      result.failures.push_back(fmt::format("the stub exited {}", stub_exit.code));
    }
  } catch (const std::exception& e) {
    result.failures.push_back(e.what());
  }
  return result;
}

/// Runs a scenario `repeat` times and keeps the run with the median wall time (a failed run
/// is kept instead, so that no failure is hidden).
Result run_repeated(const Scenario& scenario, const Options& options) {
  std::vector<Result> runs;
  for (int i = 0; i < options.repeat; ++i) {
    runs.push_back(run_scenario(scenario, options));
    const Result& r = runs.back();
    const double cases = static_cast<double>(scenario.cases);
    std::cerr << fmt::format(
        "  {} run {}/{}: {:.2f} s, {:.0f} req/s, {:.4f} CPU ms/req, {:.1f} MiB, other load "
        "{:.2f} cores{}\n",
        scenario.name, i + 1, options.repeat, r.wall_s, cases / r.wall_s, 1000.0 * r.cpu_s / cases,
        r.rss_mib, std::max(0.0, r.busy_s - r.cpu_s - r.stub_cpu_s) / r.wall_s,
        r.failures.empty() ? "" : " FAILED");
    if (!r.failures.empty()) {
      return r;
    }
  }
  std::sort(runs.begin(), runs.end(),
            [](const Result& a, const Result& b) { return a.wall_s < b.wall_s; });
  return runs[runs.size() / 2];
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const std::size_t colon = line.find(':');
      return colon == std::string::npos ? line
                                        : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

/// Cores' worth of CPU that neither the eval nor the stub used while the eval ran: other
/// processes disturbing the measurement (plus this driver's own few milliseconds).
double other_cores(const Result& r) {
  return std::max(0.0, r.busy_s - r.cpu_s - r.stub_cpu_s) / r.wall_s;
}

const char* status(const Result& r) {
  return r.failures.empty() ? "ok" : "FAILED";
}

void print_throughput_table(const std::vector<Result>& results) {
  std::cout << "\n| scenario | latency ms | concurrency | cases | wall s | req/s | CPU ms/req "
               "| peak RSS MiB | ideal s | wall/ideal | over ideal | stub in-flight max "
               "| stub CPU ms/req | other CPU cores | status |\n"
               "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n";
  for (const Result& r : results) {
    if (r.scenario.memory) {
      continue;
    }
    const double cases = static_cast<double>(r.scenario.cases);
    const double ideal = cases * r.scenario.latency_ms / 1000.0 / r.scenario.concurrency;
    std::cout << fmt::format(
        "| {} | {} | {} | {} | {:.2f} | {:.0f} | {:.4f} | {:.1f} | {} | {} | {} | {} | {:.4f} "
        "| {:.2f} | {} |\n",
        r.scenario.name, r.scenario.latency_ms, r.scenario.concurrency, r.scenario.cases, r.wall_s,
        cases / r.wall_s, 1000.0 * r.cpu_s / cases, r.rss_mib,
        ideal > 0 ? fmt::format("{:.2f}", ideal) : "n/a",
        ideal > 0 ? fmt::format("{:.3f}", r.wall_s / ideal) : "n/a",
        ideal > 0 ? fmt::format("{:+.1f}%", 100.0 * (r.wall_s / ideal - 1.0)) : "n/a",
        r.in_flight_max, 1000.0 * r.stub_cpu_s / cases, other_cores(r), status(r));
  }
}

void print_memory_table(const std::vector<Result>& results) {
  std::cout << "\n| memory scenario | concurrency | cases | wall s | req/s | CPU ms/req | "
               "peak RSS MiB | bytes/case vs smallest | other CPU cores | status |\n"
               "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n";
  const Result* smallest = nullptr;
  for (const Result& r : results) {
    if (r.scenario.memory && (smallest == nullptr || r.scenario.cases < smallest->scenario.cases)) {
      smallest = &r;
    }
  }
  for (const Result& r : results) {
    if (!r.scenario.memory) {
      continue;
    }
    const double cases = static_cast<double>(r.scenario.cases);
    std::string per_case = "-";
    if (&r != smallest && r.scenario.cases > smallest->scenario.cases) {
      per_case = fmt::format("{:.1f}",
                             (r.rss_mib - smallest->rss_mib) * 1024.0 * 1024.0 /
                                 static_cast<double>(r.scenario.cases - smallest->scenario.cases));
    }
    std::cout << fmt::format(
        "| {} | {} | {} | {:.2f} | {:.0f} | {:.4f} | {:.1f} | {} | {:.2f} | {} |\n",
        r.scenario.name, r.scenario.concurrency, r.scenario.cases, r.wall_s, cases / r.wall_s,
        1000.0 * r.cpu_s / cases, r.rss_mib, per_case, other_cores(r), status(r));
  }
}

int run(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  const std::vector<Scenario> scenarios = plan_scenarios(options);
  ::signal(SIGPIPE, SIG_IGN);

  const double floor_mib = measure_floor_mib();
  std::cout << "# promptbench end-to-end throughput\n\n"
            << "- promptbench: " << options.promptbench
            << (options.no_cache ? " (--no-cache)" : " (fresh response cache)") << "\n"
            << "- stub: " << options.stub
            << (options.stub_compression ? " (compressing answers)" : " (--no-compression)") << "\n"
            << "- CPU: " << cpu_model() << ", " << std::thread::hardware_concurrency()
            << " logical cores\n"
            << "- runs per scenario: " << options.repeat << " (median wall shown)\n"
            << fmt::format("- peak RSS floor (/bin/true started the same way): {:.1f} MiB\n",
                           floor_mib)
            << "- load average at start: " << load_average() << "\n";
  std::cout.flush();

  std::vector<Result> results;
  bool failed = false;
  for (const Scenario& scenario : scenarios) {
    std::cerr << fmt::format("running {} ({} cases), load {}...\n", scenario.name, scenario.cases,
                             load_average());
    results.push_back(run_repeated(scenario, options));
    Result& r = results.back();
    if (r.failures.empty() && r.rss_mib <= floor_mib * 1.05) {
      r.failures.push_back(fmt::format(
          "peak RSS {:.1f} MiB is not above the driver's floor {:.1f} MiB", r.rss_mib, floor_mib));
    }
    for (const std::string& failure : r.failures) {
      std::cerr << fmt::format("FAILED {}: {}\n", scenario.name, failure);
      failed = true;
    }
  }

  const bool any_throughput = std::any_of(results.begin(), results.end(),
                                          [](const Result& r) { return !r.scenario.memory; });
  const bool any_memory = std::any_of(results.begin(), results.end(),
                                      [](const Result& r) { return r.scenario.memory; });
  if (any_throughput) {
    print_throughput_table(results);
  }
  if (any_memory) {
    print_memory_table(results);
  }
  std::cout << "\n- load average at end: " << load_average() << "\n";
  for (const Result& r : results) {
    for (const std::string& failure : r.failures) {
      std::cout << "\nFAILED " << r.scenario.name << ": " << failure << "\n";
    }
  }
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "promptbench-bench-e2e: error: " << e.what() << "\n";
    return 2;
  }
}
