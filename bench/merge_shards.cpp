// SPDX-License-Identifier: Apache-2.0
// Shard-and-merge benchmark: writes a dataset of N unique cases, runs `promptbench eval
// --shard I/S` for every shard against one `promptbench-stub`, then times `promptbench merge`
// of the S parts and prints each process's wall time, CPU time and peak RSS (wait4), with the
// merged report's size.
//
// The merged report is checked before any figure counts: complete, every case exactly once and
// in dataset order, every answer the echo of its prompt, no failed request. The driver streams
// everything it reads and writes, so that its own resident set -- which Linux carries into a
// forked child's ru_maxrss -- stays at the floor it prints. Only processes started here are
// ever signalled, by their own PIDs. docs/BENCHMARKS.md has the results.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
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

struct Options {
  std::size_t cases = 1'000'000;
  std::size_t shards = 8;
  int concurrency = 64;  ///< eval -j of each shard
  int parallel = 1;      ///< shard evals running at once
  int merge_repeat = 1;  ///< merges of the same parts; the median wall is shown
  bool keep = false;
  std::string promptbench = PROMPTBENCH_BIN;
  std::string stub = PROMPTBENCH_STUB_BIN;
};

/// The options, or exit: 0 after --help, 2 for a usage error.
Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app(
      "promptbench eval --shard I/S for every shard, then promptbench merge of the parts, "
      "timed and measured with wait4() (docs/BENCHMARKS.md).",
      "promptbench-bench-merge");
  app.add_option("--cases", options.cases, "Cases in the dataset")
      ->check(CLI::Range(std::size_t{1}, std::size_t{999'999'999}))
      ->capture_default_str();
  app.add_option("--shards", options.shards, "Shards")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000}))
      ->capture_default_str();
  app.add_option("--concurrency", options.concurrency, "Requests in flight per shard (eval -j)")
      ->check(CLI::Range(1, 4'096))
      ->capture_default_str();
  app.add_option("--parallel", options.parallel, "Shard evals running at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--merge-repeat", options.merge_repeat,
                 "Merges of the same parts; the median wall is shown")
      ->check(CLI::Range(1, 99))
      ->capture_default_str();
  app.add_flag("--keep", options.keep, "Keep the scratch directory");
  app.add_option("--promptbench", options.promptbench, "The promptbench binary to measure")
      ->capture_default_str();
  app.add_option("--stub", options.stub, "The promptbench-stub binary")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    std::exit(code == 0 ? 0 : 2);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// The id of dataset row `index`: the merged report's check derives it back from the index.
std::string case_id(std::size_t index) {
  return fmt::format("c{}", index);
}

// ---------------------------------------------------------------------------------------------
// Measured children
// ---------------------------------------------------------------------------------------------

/// One measured process: what it was, how it ended and what it used.
struct Measured {
  std::string name;
  double wall_s = 0;
  double cpu_s = 0;
  double rss_mib = 0;     ///< ru_maxrss
  std::size_t cases = 0;  ///< a shard's cases (its report's run.shard.cases)
  Exit exit;
};

void record_exit(Measured& m, const Exit& exit, Clock::time_point start) {
  m.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  m.exit = exit;
  m.cpu_s = cpu_seconds(exit.usage);
  m.rss_mib = static_cast<double>(exit.usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB
}

std::vector<std::string> eval_argv(const Options& options, const fs::path& dir, std::size_t shard) {
  return {options.promptbench,
          "eval",
          (dir / "bench.yaml").string(),
          "-q",
          "--no-cache",
          "--shard",
          fmt::format("{}/{}", shard, options.shards),
          "-o",
          (dir / fmt::format("part-{}.json", shard)).string(),
          "-j",
          std::to_string(options.concurrency),
          "--progress",
          "never",
          "--color",
          "never"};
}

/// A running shard eval and when it started.
struct Running {
  std::size_t shard = 0;
  Clock::time_point start;
  std::unique_ptr<Child> child;
};

/// Runs every shard's eval, at most `options.parallel` at once. Exits are noticed within 10 ms
/// (Child::running() reaps without blocking), so that a shard's wall is its own even when
/// another shard ends first. Each eval is bounded: two minutes plus 2 ms per case of the whole
/// dataset, far above what a shard needs.
std::vector<Measured> run_shards(const Options& options, const fs::path& dir) {
  std::vector<Measured> shards(options.shards);
  const milliseconds timeout(120'000 + 2 * static_cast<long long>(options.cases));
  std::deque<Running> running;
  std::size_t next = 0;
  while (next < options.shards || !running.empty()) {
    while (next < options.shards && running.size() < static_cast<std::size_t>(options.parallel)) {
      const std::string name = fmt::format("shard-{}", next);
      std::cerr << fmt::format("  eval --shard {}/{}\n", next, options.shards);
      shards[next].name = name;
      running.push_back({next, Clock::now(),
                         std::make_unique<Child>(eval_argv(options, dir, next), dir,
                                                 dir / (name + ".out"), dir / (name + ".err"))});
      ++next;
    }
    for (auto it = running.begin(); it != running.end();) {
      const bool late = Clock::now() - it->start > timeout;
      if (it->child->running() && !late) {
        ++it;
        continue;
      }
      // Already reaped (returns at once), or late: SIGKILLed and reaped with timed_out set.
      record_exit(shards[it->shard], it->child->wait(milliseconds(late ? 0 : 1'000)), it->start);
      it = running.erase(it);
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return shards;
}

/// One `promptbench merge` of every part; `busy_s` gets the CPU the whole machine used meanwhile.
Measured run_merge(const Options& options, const fs::path& dir, double& busy_s) {
  std::vector<std::string> argv = {options.promptbench, "merge"};
  for (std::size_t shard = 0; shard < options.shards; ++shard) {
    argv.push_back((dir / fmt::format("part-{}.json", shard)).string());
  }
  for (const char* arg : {"-q", "--color", "never", "-o"}) {
    argv.emplace_back(arg);
  }
  argv.push_back((dir / "merged.json").string());
  Measured merge;
  merge.name = "merge";
  merge.cases = options.cases;
  // Bounded: two minutes plus 1 ms per case.
  const milliseconds timeout(120'000 + static_cast<long long>(options.cases));
  const double busy_before = machine_busy_seconds();
  const Clock::time_point start = Clock::now();
  Child child(argv, dir, dir / "merge.out", dir / "merge.err");
  record_exit(merge, child.wait(timeout), start);
  busy_s = machine_busy_seconds() - busy_before;
  return merge;
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Thrown by a parse callback to stop reading once it has what it came for.
struct EnoughRead {};

/// A report's "run" object, read from the head alone: eval writes the head before the cases,
/// so the parse stops at the "cases" key instead of reading a whole part.
nlohmann::json read_run(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  nlohmann::json run;
  std::string key;
  const auto filter = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth == 1 && event == Event::key) {
      key = parsed.get<std::string>();
      if (key == "cases") {
        throw EnoughRead{};
      }
    }
    if (depth == 1 && event == Event::object_end && key == "run") {
      run = parsed;
    }
    return true;
  };
  try {
    const nlohmann::json whole = nlohmann::json::parse(in, filter);
    return field(whole, "run");  // a report without "cases"
  } catch (const EnoughRead&) {
  } catch (const std::exception&) {
    return nlohmann::json();  // the checks report the missing fields
  }
  return run;
}

/// What the streamed cases of the merged report showed.
struct CaseTally {
  std::size_t seen = 0;
  std::size_t in_order = 0;  ///< cases whose index and id were the next of the dataset
  std::size_t matched = 0;   ///< one result, no error, exact_match 1
};

void check_case(const nlohmann::json& c, CaseTally& tally) {
  const nlohmann::json& index = field(c, "index");
  if (index.is_number_unsigned() && index.get<std::size_t>() == tally.seen &&
      field(c, "id") == case_id(tally.seen)) {
    ++tally.in_order;
  }
  ++tally.seen;
  const nlohmann::json& results = field(c, "results");
  if (results.is_array() && results.size() == 1 && field(results[0], "error").is_null() &&
      field(field(results[0], "scores"), "exact_match") == 1.0) {
    ++tally.matched;
  }
}

/// Checks the merged report while streaming it: each case is inspected and dropped as it is
/// parsed, so the driver never holds the report (a million cases would otherwise leak into the
/// next child's ru_maxrss, see measure_floor_mib()).
void check_merged(const fs::path& path, std::size_t cases, std::vector<std::string>& failures) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    failures.push_back("no merged report at " + path.string());
    return;
  }
  CaseTally tally;
  bool in_cases = false;
  const auto filter = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth == 1 && event == Event::key) {
      in_cases = parsed == "cases";
    }
    if (in_cases && depth == 2 && event == Event::object_end) {
      check_case(parsed, tally);
      return false;  // discard the case
    }
    return true;
  };
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(in, filter);
  } catch (const std::exception& e) {
    failures.push_back(fmt::format("merged report is not valid JSON: {}", e.what()));
    return;
  }
  const auto expect = [&](const char* what, const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) {
      failures.push_back(
          fmt::format("merged: {} = {}, expected {}", what, got.dump(), want.dump()));
    }
  };
  expect("cases", tally.seen, cases);
  expect("cases with the next index and id of the dataset", tally.in_order, cases);
  expect("cases answered with the echo of the prompt", tally.matched, cases);
  const nlohmann::json& run = field(report, "run");
  expect("run.complete", field(run, "complete"), true);
  expect("run.cases_evaluated", field(run, "cases_evaluated"), cases);
  expect("run.errors.failed", field(field(run, "errors"), "failed"), 0);
  const nlohmann::json& variants = field(report, "variants");
  if (!variants.is_array() || variants.size() != 1) {
    failures.push_back("merged: expected exactly one variant");
    return;
  }
  const nlohmann::json& exact = field(field(variants[0], "metrics"), "exact_match");
  expect("variants[0].cases", field(variants[0], "cases"), cases);
  expect("variants[0].errors", field(variants[0], "errors"), 0);
  expect("variants[0].metrics.exact_match.n", field(exact, "n"), cases);
  expect("variants[0].metrics.exact_match.mean", field(exact, "mean"), 1.0);
}

/// Each shard exited 0 with a report of its own shard; together they hold every case.
void check_shards(const fs::path& dir, const Options& options, std::vector<Measured>& shards,
                  std::vector<std::string>& failures) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    Measured& shard = shards[i];
    if (shard.exit.timed_out || shard.exit.code != 0) {
      failures.push_back(fmt::format(
          "{} {}: {}", shard.name,
          shard.exit.timed_out ? "timed out" : fmt::format("exited {}", shard.exit.code),
          tail(read_text(dir / (shard.name + ".err")))));
      continue;
    }
    const nlohmann::json run = read_run(dir / fmt::format("part-{}.json", i));
    const nlohmann::json& info = field(run, "shard");
    if (field(info, "index") != i || field(info, "count") != options.shards ||
        !field(info, "cases").is_number_unsigned()) {
      failures.push_back(fmt::format("{}: run.shard is {}", shard.name, info.dump()));
      continue;
    }
    shard.cases = field(info, "cases").get<std::size_t>();
    total += shard.cases;
  }
  if (failures.empty() && total != options.cases) {
    failures.push_back(fmt::format("the shards hold {} cases, expected {}", total, options.cases));
  }
}

/// The stub saw each case exactly once, all answered 200.
void check_stub(const nlohmann::json& stats, std::size_t cases,
                std::vector<std::string>& failures) {
  const auto expect = [&](const char* what, const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) {
      failures.push_back(fmt::format("stub: {} = {}, expected {}", what, got.dump(), want.dump()));
    }
  };
  expect("requests", field(stats, "requests"), cases);
  expect("unique_bodies", field(stats, "unique_bodies"), cases);
  expect("by_status", field(stats, "by_status"), nlohmann::json{{"200", cases}});
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

double mib(std::uintmax_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void print_row(const Measured& m) {
  std::cout << fmt::format("| {} | {} | {:.2f} | {:.2f} | {:.1f} |\n", m.name, m.cases, m.wall_s,
                           m.cpu_s, m.rss_mib);
}

void print_results(const std::vector<Measured>& shards, const Measured& merge, double merge_busy_s,
                   const fs::path& dir) {
  std::cout << "\n| process | cases | wall s | CPU s | peak RSS MiB |\n|---|--:|--:|--:|--:|\n";
  double wall = 0;
  double cpu = 0;
  double rss = 0;
  for (const Measured& shard : shards) {
    print_row(shard);
    wall += shard.wall_s;
    cpu += shard.cpu_s;
    rss = std::max(rss, shard.rss_mib);
  }
  std::cout << fmt::format("| all shards (sum; max RSS) | {} | {:.2f} | {:.2f} | {:.1f} |\n",
                           merge.cases, wall, cpu, rss);
  print_row(merge);
  std::uintmax_t parts = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    std::error_code ignored;
    const std::uintmax_t size = fs::file_size(dir / fmt::format("part-{}.json", i), ignored);
    parts += size == static_cast<std::uintmax_t>(-1) ? 0 : size;
  }
  std::error_code ignored;
  const std::uintmax_t merged = fs::file_size(dir / "merged.json", ignored);
  std::cout << fmt::format(
      "\n- merge: {:.0f} cases/s, {:.2f} CPU µs per case, other CPU cores during it {:.2f}\n"
      "- parts: {:.1f} MiB in all; merged report: {:.1f} MiB ({:.0f} bytes per case)\n",
      static_cast<double>(merge.cases) / merge.wall_s,
      1e6 * merge.cpu_s / static_cast<double>(merge.cases),
      std::max(0.0, merge_busy_s - merge.cpu_s) / merge.wall_s, mib(parts), mib(merged),
      static_cast<double>(merged) / static_cast<double>(merge.cases));
}

/// Merges `repeat` times, checking each merged report; the run with the median wall is kept
/// (a failed one instead, so that no failure is hidden).
Measured run_merges(const Options& options, const fs::path& dir, double& busy_s,
                    std::vector<std::string>& failures) {
  std::vector<std::pair<Measured, double>> runs;
  for (int i = 0; i < options.merge_repeat; ++i) {
    std::cerr << fmt::format("  merge {}/{}, load {}\n", i + 1, options.merge_repeat,
                             load_average());
    double busy = 0;
    const Measured merge = run_merge(options, dir, busy);
    std::cerr << fmt::format("    {:.2f} s, {:.2f} CPU s, {:.1f} MiB\n", merge.wall_s, merge.cpu_s,
                             merge.rss_mib);
    if (merge.exit.timed_out || merge.exit.code != 0) {
      failures.push_back(fmt::format("merge {}: {}", merge.exit.timed_out ? "timed out" : "failed",
                                     tail(read_text(dir / "merge.err"))));
      busy_s = busy;
      return merge;
    }
    const std::size_t before = failures.size();
    check_merged(dir / "merged.json", options.cases, failures);
    if (failures.size() != before) {
      busy_s = busy;
      return merge;
    }
    runs.emplace_back(merge, busy);
  }
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.first.wall_s < b.first.wall_s; });
  busy_s = runs[runs.size() / 2].second;
  return runs[runs.size() / 2].first;
}

int run(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  const double floor_mib = measure_floor_mib();
  std::cout << "# promptbench shard evals and merge\n\n"
            << fmt::format("- {} cases in {} shards, eval -j {} --no-cache, {} eval(s) at once\n",
                           options.cases, options.shards, options.concurrency, options.parallel)
            << "- promptbench: " << options.promptbench << "\n"
            << "- stub: " << options.stub << " (--mode echo, --no-compression)\n"
            << "- " << std::thread::hardware_concurrency() << " logical cores, load average at "
            << "start: " << load_average() << "\n"
            << fmt::format("- peak RSS floor (/bin/true started the same way): {:.1f} MiB\n",
                           floor_mib);
  std::cout.flush();

  const ScratchDir scratch(options.keep);
  const fs::path& dir = scratch.path();
  std::vector<std::string> failures;
  Stub stub(options.stub, dir, 0, options.concurrency * options.parallel, false);
  std::cerr << "writing the dataset...\n";
  write_echo_inputs(dir, "merge", options.cases, options.concurrency, stub.port());
  std::cerr << fmt::format("running {} shard evals, load {}\n", options.shards, load_average());
  std::vector<Measured> shards = run_shards(options, dir);
  check_shards(dir, options, shards, failures);
  check_stub(stub.stats(), options.cases, failures);
  if (const Exit stub_exit = stub.stop(); stub_exit.code != 0) {
    failures.push_back(fmt::format("the stub exited {}", stub_exit.code));
  }
  Measured merge;
  double merge_busy_s = 0;
  if (failures.empty()) {
    merge = run_merges(options, dir, merge_busy_s, failures);
  }
  if (failures.empty() && merge.rss_mib <= floor_mib * 1.05) {
    failures.push_back(
        fmt::format("merge peak RSS {:.1f} MiB is not above the driver's floor", merge.rss_mib));
  }
  if (failures.empty()) {
    print_results(shards, merge, merge_busy_s, dir);
  }
  std::cout << "- load average at end: " << load_average() << "\n";
  for (const std::string& failure : failures) {
    std::cout << "\nFAILED: " << failure << "\n";
  }
  return failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "promptbench-bench-merge: error: " << e.what() << "\n";
    return 2;
  }
}
