// SPDX-License-Identifier: Apache-2.0
// Wire-ratio benchmark (issue 18): promptbench's CPU per request against that of a raw HTTP/1.1
// client, wrk, sending the same request to the same stub in the same run.
//
// First a probe: one case of the dataset is evaluated against a stub that records requests,
// which gives the exact method, path, headers and body promptbench sends. Then, for every row
// (concurrency × journal on/off), one fresh stub serves in turn `promptbench eval -j C` over
// the whole dataset and `wrk -t 1 -c C` replaying the recorded request for a fixed duration
// (bench/wire_post.lua); both children are measured with wait4(), and the stub's counters are
// reset before and checked after each. See docs/BENCHMARKS.md "Against the wire".
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
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
using promptbench::bench::read_text;
using promptbench::bench::ScratchDir;
using promptbench::bench::Stub;
using promptbench::bench::tail;
using promptbench::bench::write_echo_inputs;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// ctest's SKIP_RETURN_CODE: wrk is not installed (scripts/install-deps.sh installs it).
constexpr int kSkipped = 77;

/// The provider sends `Authorization: Bearer <key>` like one talking to a real endpoint; the
/// key is made up and lives only in this process's environment and the scratch directory.
constexpr const char* kKeyVariable = "PROMPTBENCH_WIRE_BENCH_KEY";
constexpr const char* kFakeKey = "sk-wire-bench-0123456789abcdefghijklmnopqrstuvwxyzABCDEF";

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

struct Options {
  bool quick = false;
  bool keep = false;
  int repeat = 1;
  std::size_t cases = 20'000;
  int wrk_seconds = 5;
  int latency_ms = 0;
  std::vector<int> concurrency = {16, 64};
  std::string journal = "both";  ///< on, off or both
  std::string promptbench = PROMPTBENCH_BIN;
  std::string stub = PROMPTBENCH_STUB_BIN;
  std::string wrk;  ///< empty: `wrk` on the PATH
  std::string lua = PROMPTBENCH_WIRE_LUA;
};

/// The options, or exit: 0 after --help, 2 for a usage error.
Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app(
      "promptbench's CPU per request against wrk's, the same request to the same stub in the "
      "same run (docs/BENCHMARKS.md \"Against the wire\").",
      "promptbench-bench-wire");
  app.add_flag("--quick", options.quick, "A smoke run: 1,000 cases, wrk for 1 s");
  app.add_option("--cases", options.cases, "Cases promptbench evaluates per run")
      ->check(CLI::Range(std::size_t{1}, std::size_t{999'999'999}));
  app.add_option("--wrk-seconds", options.wrk_seconds, "Duration of each wrk run (-d)")
      ->check(CLI::Range(1, 3600));
  app.add_option("--repeat", options.repeat, "Runs of each pair; medians are shown")
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrency", options.concurrency,
                 "promptbench -j and wrk -c (repeatable; default 16 and 64)")
      ->check(CLI::Range(1, 10'000))
      ->allow_extra_args(false);
  app.add_option("--journal", options.journal,
                 "on: a fresh response cache; off: --no-cache; both (default)")
      ->check(CLI::IsMember({"on", "off", "both"}));
  app.add_option("--latency-ms", options.latency_ms, "The stub's delay before every answer")
      ->check(CLI::Range(0, 60'000));
  app.add_flag("--keep", options.keep, "Keep the scratch directories");
  app.add_option("--promptbench", options.promptbench, "The promptbench binary to measure")
      ->capture_default_str();
  app.add_option("--stub", options.stub, "The promptbench-stub binary")->capture_default_str();
  app.add_option("--wrk", options.wrk, "The wrk binary (default: wrk on the PATH)");
  app.add_option("--lua", options.lua, "The wrk script")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    std::exit(code == 0 ? 0 : 2);
  }
  if (options.quick) {
    if (app.count("--cases") == 0) {
      options.cases = 1'000;
    }
    if (app.count("--wrk-seconds") == 0) {
      options.wrk_seconds = 1;
    }
  }
  return options;
}

/// `name` on the PATH, or "" (Child needs a path: it uses execv).
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return "";
}

/// The first line a command prints, for the header ("" if it cannot run).
std::string first_line_of(const std::vector<std::string>& argv, const fs::path& dir) {
  Child child(argv, dir, dir / "version.out", dir / "version.err");
  (void)child.wait(milliseconds(10'000));
  std::string text = read_text(dir / "version.out");
  if (text.empty()) {
    text = read_text(dir / "version.err");  // wrk prints its version to stderr
  }
  return text.substr(0, text.find('\n'));
}

// ---------------------------------------------------------------------------------------------
// The request: recorded once, replayed by wrk
// ---------------------------------------------------------------------------------------------

/// Evaluates the last case of a dataset like the measured ones against a stub that records
/// requests, and writes what promptbench sent into `request_dir` in wire_post.lua's layout.
/// Returns a one-line description (method, path, body size, header names). Throws if the
/// probe fails or did not send exactly one request.
std::string record_request(const Options& options, const fs::path& dir,
                           const fs::path& request_dir) {
  const fs::path log = dir / "requests.jsonl";
  Stub stub(options.stub, dir, 0, 1, false, {"--record-requests", log.string()});
  write_echo_inputs(dir, "wire-probe", options.cases, 1, stub.port(), kKeyVariable);
  const std::vector<std::string> argv = {options.promptbench,
                                         "eval",
                                         (dir / "bench.yaml").string(),
                                         "-q",
                                         "--no-cache",
                                         "--case",
                                         fmt::format("c{}", options.cases - 1),
                                         "-o",
                                         (dir / "probe.json").string(),
                                         "--progress",
                                         "never",
                                         "--color",
                                         "never"};
  Child eval(argv, dir, dir / "probe.out", dir / "probe.err");
  const Exit exit = eval.wait(milliseconds(120'000));
  (void)stub.stop();
  if (exit.code != 0) {
    throw std::runtime_error(
        fmt::format("the probe eval exited {}: {}", exit.code, tail(read_text(dir / "probe.err"))));
  }
  std::ifstream in(log);
  std::vector<nlohmann::json> requests;
  for (std::string line; std::getline(in, line);) {
    requests.push_back(nlohmann::json::parse(line));
  }
  if (requests.size() != 1) {
    throw std::runtime_error(fmt::format("the probe sent {} requests, expected 1 (see {})",
                                         requests.size(), log.string()));
  }
  const nlohmann::json& request = requests[0];
  const std::string method = request.at("method").get<std::string>();
  const std::string path = request.at("path").get<std::string>();
  const std::string body = request.at("body").get<std::string>();
  fs::create_directories(request_dir);
  std::ofstream(request_dir / "method", std::ios::binary) << method;
  std::ofstream(request_dir / "path", std::ios::binary) << path;
  std::ofstream(request_dir / "body", std::ios::binary) << body;
  std::ofstream headers(request_dir / "headers", std::ios::binary);
  std::string names;
  for (const auto& [name, value] : request.at("headers").items()) {
    // wrk writes Host and Content-Length itself; a second copy would make another request.
    if (name == "host" || name == "content-length") {
      continue;
    }
    headers << name << ": " << value.get<std::string>() << "\n";
    names += names.empty() ? name : ", " + name;
  }
  if (!headers.flush()) {
    throw std::runtime_error("cannot write " + (request_dir / "headers").string());
  }
  return fmt::format("{} {}, a {}-byte JSON body, headers {} (+ host, content-length)", method,
                     path, body.size(), names);
}

// ---------------------------------------------------------------------------------------------
// One client's run against the stub
// ---------------------------------------------------------------------------------------------

/// One client's run: its own CPU (wait4) and the stub's, over the requests it completed.
struct Phase {
  double wall_s = 0;  ///< promptbench: the process's wall time; wrk: its measured duration
  double cpu_s = 0;   ///< user + system CPU of the client process alone
  double stub_cpu_s = 0;
  double busy_s = 0;     ///< CPU the whole machine spent busy meanwhile (/proc/stat)
  double elapsed_s = 0;  ///< wall time of the whole phase, for busy_s
  std::size_t requests = 0;

  [[nodiscard]] double cpu_us_per_request() const {
    return requests == 0 ? 0 : 1e6 * cpu_s / static_cast<double>(requests);
  }
  [[nodiscard]] double stub_us_per_request() const {
    return requests == 0 ? 0 : 1e6 * stub_cpu_s / static_cast<double>(requests);
  }
  [[nodiscard]] double requests_per_second() const {
    return wall_s <= 0 ? 0 : static_cast<double>(requests) / wall_s;
  }
  /// Cores' worth of CPU that neither the client nor the stub used: a disturbed measurement.
  [[nodiscard]] double other_cores() const {
    return elapsed_s <= 0 ? 0 : std::max(0.0, busy_s - cpu_s - stub_cpu_s) / elapsed_s;
  }
};

/// Measures `start()`'s child from launch to exit, with the stub's and the machine's CPU
/// around it; `drain` waits for the stub to finish what the child left in flight.
template <typename Start>
Exit measure(const Stub& stub, Phase& phase, milliseconds timeout, milliseconds drain,
             Start start) {
  stub.reset();
  const double stub_before = stub.cpu_seconds_so_far();
  const double busy_before = machine_busy_seconds();
  const Clock::time_point begin = Clock::now();
  Child child = start();
  const Exit exit = child.wait(timeout);
  phase.wall_s = std::chrono::duration<double>(Clock::now() - begin).count();
  std::this_thread::sleep_for(drain);
  phase.elapsed_s = std::chrono::duration<double>(Clock::now() - begin).count();
  phase.busy_s = machine_busy_seconds() - busy_before;
  phase.stub_cpu_s = stub.cpu_seconds_so_far() - stub_before;
  phase.cpu_s = cpu_seconds(exit.usage);
  return exit;
}

struct Row {
  int concurrency = 0;
  bool journal = true;
};

/// `promptbench eval -j C` over the whole dataset, with a fresh cache or none.
Phase run_eval(const Options& options, const Row& row, const fs::path& dir, const Stub& stub,
               std::vector<std::string>& failures) {
  Phase phase;
  std::error_code ignored;
  fs::remove_all(dir / ".promptbench", ignored);  // a fresh cache: every answer journaled
  std::vector<std::string> argv = {options.promptbench,
                                   "eval",
                                   (dir / "bench.yaml").string(),
                                   "-q",
                                   "-o",
                                   (dir / "report.json").string(),
                                   "-j",
                                   std::to_string(row.concurrency),
                                   "--progress",
                                   "never",
                                   "--color",
                                   "never"};
  if (!row.journal) {
    argv.emplace_back("--no-cache");
  }
  const milliseconds timeout(120'000 + 2 * static_cast<long long>(options.cases) +
                             3 * static_cast<long long>(options.cases) * options.latency_ms /
                                 row.concurrency);
  const Exit exit = measure(stub, phase, timeout, milliseconds(0),
                            [&] { return Child(argv, dir, dir / "eval.out", dir / "eval.err"); });
  phase.requests = options.cases;
  if (exit.timed_out) {
    failures.push_back(fmt::format("eval timed out after {} s", timeout.count() / 1000));
    return phase;
  }
  if (exit.code != 0) {
    failures.push_back(
        fmt::format("eval exited {}: {}", exit.code, tail(read_text(dir / "eval.err"))));
  }
  check_echo_report(dir / "report.json", options.cases, failures);
  const nlohmann::json stats = stub.stats();
  check_echo_stub(stats, options.cases, row.concurrency, failures);
  if (field(stats, "authorization_seen") != options.cases) {
    failures.push_back(fmt::format("stub: authorization_seen = {} during the eval, expected {}",
                                   field(stats, "authorization_seen").dump(), options.cases));
  }
  return phase;
}

/// wire_post.lua's summary line, "wire-wrk requests=N duration_us=N ..." as a map.
std::map<std::string, long long> parse_wrk_summary(const std::string& output) {
  std::map<std::string, long long> values;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("wire-wrk ", 0) != 0) {
      continue;
    }
    std::istringstream pairs(line.substr(9));
    for (std::string pair; pairs >> pair;) {
      const std::size_t equals = pair.find('=');
      if (equals != std::string::npos) {
        values[pair.substr(0, equals)] = std::stoll(pair.substr(equals + 1));
      }
    }
  }
  return values;
}

/// `wrk -t 1 -c C -d S` replaying the recorded request, checked to have had only 200s.
Phase run_wrk(const Options& options, const Row& row, const fs::path& dir,
              const fs::path& request_dir, const Stub& stub, std::vector<std::string>& failures) {
  Phase phase;
  const std::vector<std::string> argv = {options.wrk,
                                         "-t",
                                         "1",
                                         "-c",
                                         std::to_string(row.concurrency),
                                         "-d",
                                         fmt::format("{}s", options.wrk_seconds),
                                         "--timeout",
                                         "30s",
                                         "-s",
                                         options.lua,
                                         fmt::format("http://127.0.0.1:{}/", stub.port()),
                                         "--",
                                         request_dir.string()};
  const milliseconds timeout(1'000LL * options.wrk_seconds + 60'000);
  // wrk stops at its deadline with up to C requests in flight: let the stub answer them
  // before its counters and its CPU are read.
  const milliseconds drain(options.latency_ms + 200);
  const Exit exit = measure(stub, phase, timeout, drain,
                            [&] { return Child(argv, dir, dir / "wrk.out", dir / "wrk.err"); });
  const std::string output = read_text(dir / "wrk.out");
  if (exit.timed_out || exit.code != 0) {
    failures.push_back(
        fmt::format("wrk exited {}: {}", exit.code, tail(output + read_text(dir / "wrk.err"))));
    return phase;
  }
  const std::map<std::string, long long> summary = parse_wrk_summary(output);
  const auto value = [&](const char* key) {
    const auto it = summary.find(key);
    return it == summary.end() ? -1 : it->second;
  };
  if (value("requests") <= 0 || value("duration_us") <= 0) {
    failures.push_back("wrk printed no 'wire-wrk' summary with requests: " + tail(output));
    return phase;
  }
  for (const char* error : {"connect", "read", "write", "status", "timeout"}) {
    if (value(error) != 0) {
      failures.push_back(fmt::format("wrk: {} errors = {}", error, value(error)));
    }
  }
  phase.requests = static_cast<std::size_t>(value("requests"));
  phase.wall_s = static_cast<double>(value("duration_us")) / 1e6;

  // The stub saw every request wrk completed, plus at most one in flight per connection at
  // the deadline; all of them answered 200, all with the one recorded body and its key.
  const nlohmann::json stats = stub.stats();
  const nlohmann::json& seen = field(stats, "requests");
  if (!seen.is_number_integer() || seen.get<long long>() < value("requests") ||
      seen.get<long long>() > value("requests") + row.concurrency) {
    failures.push_back(fmt::format("stub: requests = {} during wrk's run, which completed {}",
                                   seen.dump(), value("requests")));
  }
  const auto expect = [&](const char* what, const nlohmann::json& want) {
    if (field(stats, what) != want) {
      failures.push_back(fmt::format("stub: {} = {} during wrk's run, expected {}", what,
                                     field(stats, what).dump(), want.dump()));
    }
  };
  expect("by_status", nlohmann::json{{"200", seen}});
  expect("unique_bodies", 1);
  expect("dropped", 0);
  expect("authorization_seen", seen);
  const nlohmann::json& in_flight = field(stats, "in_flight_max");
  if (!in_flight.is_number_integer() || in_flight.get<long long>() > row.concurrency) {
    failures.push_back(fmt::format("stub: in_flight_max = {} during wrk's run, above {}",
                                   in_flight.dump(), row.concurrency));
  }
  return phase;
}

// ---------------------------------------------------------------------------------------------
// A row: pairs of runs against one stub
// ---------------------------------------------------------------------------------------------

struct Pair {
  Phase eval;
  Phase wrk;
  [[nodiscard]] double ratio() const {
    return wrk.cpu_us_per_request() <= 0 ? 0 : eval.cpu_us_per_request() / wrk.cpu_us_per_request();
  }
};

struct RowResult {
  Row row;
  std::vector<Pair> pairs;
  std::vector<std::string> failures;
};

/// `options.repeat` pairs against one fresh stub; the order alternates (eval first, then wrk
/// first) so that neither client always meets a stub the other has just warmed.
RowResult run_row(const Options& options, const Row& row, const fs::path& request_dir) {
  RowResult result;
  result.row = row;
  const ScratchDir scratch(options.keep);
  const fs::path& dir = scratch.path();
  try {
    Stub stub(options.stub, dir, options.latency_ms, row.concurrency, false);
    write_echo_inputs(dir, fmt::format("wire-c{}", row.concurrency), options.cases, row.concurrency,
                      stub.port(), kKeyVariable);
    for (int i = 0; i < options.repeat && result.failures.empty(); ++i) {
      Pair pair;
      if (i % 2 == 0) {
        pair.eval = run_eval(options, row, dir, stub, result.failures);
        pair.wrk = run_wrk(options, row, dir, request_dir, stub, result.failures);
      } else {
        pair.wrk = run_wrk(options, row, dir, request_dir, stub, result.failures);
        pair.eval = run_eval(options, row, dir, stub, result.failures);
      }
      std::cerr << fmt::format(
          "  c{} journal {} run {}/{}: promptbench {:.1f} µs/req ({:.0f} req/s), wrk {:.1f} "
          "µs/req ({:.0f} req/s), ratio {:.2f}, other load {:.2f} cores{}\n",
          row.concurrency, row.journal ? "on" : "off", i + 1, options.repeat,
          pair.eval.cpu_us_per_request(), pair.eval.requests_per_second(),
          pair.wrk.cpu_us_per_request(), pair.wrk.requests_per_second(), pair.ratio(),
          std::max(pair.eval.other_cores(), pair.wrk.other_cores()),
          result.failures.empty() ? "" : " FAILED");
      result.pairs.push_back(pair);
    }
    const Exit stub_exit = stub.stop();
    if (stub_exit.code != 0) {
      result.failures.push_back(fmt::format("the stub exited {}", stub_exit.code));
    }
  } catch (const std::exception& e) {
    result.failures.push_back(e.what());
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

template <typename Get>
double median_of(const std::vector<Pair>& pairs, Get get) {
  std::vector<double> values;
  for (const Pair& pair : pairs) {
    values.push_back(get(pair));
  }
  std::sort(values.begin(), values.end());
  if (values.empty()) {
    return 0;
  }
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

void print_table(const std::vector<RowResult>& rows) {
  std::cout << "\n| concurrency | journal | promptbench req/s | promptbench CPU µs/req | wrk req/s "
               "| wrk CPU µs/req | **ratio** | ratio range | stub CPU µs/req (pb / wrk) "
               "| other CPU cores | status |\n"
               "|--:|---|--:|--:|--:|--:|--:|---|---|--:|---|\n";
  for (const RowResult& r : rows) {
    const auto ratio = [](const Pair& p) { return p.ratio(); };
    double low = 0;
    double high = 0;
    double other = 0;
    for (std::size_t i = 0; i < r.pairs.size(); ++i) {
      low = i == 0 ? r.pairs[i].ratio() : std::min(low, r.pairs[i].ratio());
      high = std::max(high, r.pairs[i].ratio());
      other = std::max({other, r.pairs[i].eval.other_cores(), r.pairs[i].wrk.other_cores()});
    }
    std::cout << fmt::format(
        "| {} | {} | {:.0f} | {:.1f} | {:.0f} | {:.1f} | **{:.2f}** | {:.2f}–{:.2f} | {:.1f} / "
        "{:.1f} | {:.2f} | {} |\n",
        r.row.concurrency, r.row.journal ? "on" : "off (--no-cache)",
        median_of(r.pairs, [](const Pair& p) { return p.eval.requests_per_second(); }),
        median_of(r.pairs, [](const Pair& p) { return p.eval.cpu_us_per_request(); }),
        median_of(r.pairs, [](const Pair& p) { return p.wrk.requests_per_second(); }),
        median_of(r.pairs, [](const Pair& p) { return p.wrk.cpu_us_per_request(); }),
        median_of(r.pairs, ratio), low, high,
        median_of(r.pairs, [](const Pair& p) { return p.eval.stub_us_per_request(); }),
        median_of(r.pairs, [](const Pair& p) { return p.wrk.stub_us_per_request(); }), other,
        r.failures.empty() ? "ok" : "FAILED");
  }
}

std::vector<Row> plan_rows(const Options& options) {
  std::vector<Row> rows;
  for (const int concurrency : options.concurrency) {
    if (options.journal != "off") {
      rows.push_back({concurrency, true});
    }
    if (options.journal != "on") {
      rows.push_back({concurrency, false});
    }
  }
  return rows;
}

int run(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  if (options.wrk.empty()) {
    options.wrk = find_on_path("wrk");
  }
  if (options.wrk.empty() || ::access(options.wrk.c_str(), X_OK) != 0) {
    std::cerr << "promptbench-bench-wire: wrk not found (bash scripts/install-deps.sh installs "
                 "it, or pass --wrk PATH): skipped\n";
    return kSkipped;
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::setenv(kKeyVariable, kFakeKey, 1);  // inherited by every promptbench child

  const ScratchDir probe(options.keep);
  std::string request;
  try {
    request = record_request(options, probe.path(), probe.path() / "request");
  } catch (const std::exception& e) {
    std::cout << "FAILED probe (recording promptbench's request): " << e.what() << "\n";
    return 1;
  }
  std::cout << "# promptbench against the wire (wrk)\n\n"
            << "- promptbench: " << options.promptbench << " ("
            << first_line_of({options.promptbench, "--version"}, probe.path()) << ")\n"
            << "- wrk: " << options.wrk << " (" << first_line_of({options.wrk, "-v"}, probe.path())
            << "), -t 1, script " << options.lua << "\n"
            << "- stub: " << options.stub << " (--no-compression, --latency-ms "
            << options.latency_ms << ")\n"
            << "- request (recorded from promptbench): " << request << "\n"
            << fmt::format(
                   "- per run: promptbench {} cases, wrk {} s; {} run(s) per row, medians "
                   "shown\n",
                   options.cases, options.wrk_seconds, options.repeat)
            << "- CPU: " << std::thread::hardware_concurrency() << " logical cores\n"
            << "- load average at start: " << load_average() << "\n";
  std::cout.flush();

  std::vector<RowResult> results;
  for (const Row& row : plan_rows(options)) {
    std::cerr << fmt::format("running c{} journal {}, load {}...\n", row.concurrency,
                             row.journal ? "on" : "off", load_average());
    results.push_back(run_row(options, row, probe.path() / "request"));
  }
  print_table(results);
  std::cout << "\n- load average at end: " << load_average() << "\n"
            << "- ratio = promptbench's CPU µs per request / wrk's (user + system, wait4(), "
               "each over the requests it completed)\n";
  bool failed = false;
  for (const RowResult& r : results) {
    for (const std::string& failure : r.failures) {
      std::cout << fmt::format("\nFAILED c{} journal {}: {}\n", r.row.concurrency,
                               r.row.journal ? "on" : "off", failure);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "promptbench-bench-wire: error: " << e.what() << "\n";
    return 2;
  }
}
