// SPDX-License-Identifier: Apache-2.0
// Wire-ratio benchmark (issue 18): promptbench's CPU per request against that of a raw HTTP/1.1
// client, wrk, sending the same request to the same stub in the same run.
//
// First a probe: one case of the dataset is evaluated against a stub that records requests,
// which gives the exact method, path, headers and body promptbench sends. Then, for every row
// (concurrency × journal on/off), one fresh stub serves in turn `promptbench eval -j C` over
// the whole dataset and `wrk -t 1 -c C` replaying the recorded request for a fixed duration
// (bench/wire_post.lua), and the libcurl floor (bench/curl_floor.cpp: a bare libcurl client
// replaying that request through promptbench's libcurl calls, or the fewest libcurl needs) for
// as many requests as promptbench sends; every child is measured with wait4(), and the stub's
// counters are reset before and checked after each. See docs/BENCHMARKS.md "Against the wire".
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
  std::string curl_floor = PROMPTBENCH_CURL_FLOOR_BIN;
  std::string curl_floor_mode = "both";  ///< like, minimal, both or none
  std::vector<std::string> floor_modes;  ///< from curl_floor_mode
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
  app.add_option("--curl-floor", options.curl_floor, "The libcurl floor client")
      ->capture_default_str();
  app.add_option("--curl-floor-mode", options.curl_floor_mode,
                 "The libcurl floor's runs: like (promptbench's libcurl calls), minimal, both "
                 "(default) or none (skip it)")
      ->check(CLI::IsMember({"like", "minimal", "both", "none"}));
  bool no_floor = false;
  app.add_flag("--no-curl-floor", no_floor, "Skip the libcurl floor (--curl-floor-mode none)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    std::exit(code == 0 ? 0 : 2);
  }
  if (no_floor) {
    options.curl_floor_mode = "none";
  }
  if (options.curl_floor_mode == "like" || options.curl_floor_mode == "both") {
    options.floor_modes.emplace_back("like");
  }
  if (options.curl_floor_mode == "minimal" || options.curl_floor_mode == "both") {
    options.floor_modes.emplace_back("minimal");
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
/// Returns it as the stub recorded it, with a one-line description (method, path, body
/// size, header names). Throws if the probe fails or did not send exactly one request.
struct Recorded {
  nlohmann::json request;
  std::string description;
};

/// The requests a stub recorded in `log`, one JSON object per line.
std::vector<nlohmann::json> read_recorded(const fs::path& log) {
  std::ifstream in(log);
  std::vector<nlohmann::json> requests;
  for (std::string line; std::getline(in, line);) {
    requests.push_back(nlohmann::json::parse(line));
  }
  return requests;
}

Recorded record_request(const Options& options, const fs::path& dir, const fs::path& request_dir) {
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
  const std::vector<nlohmann::json> requests = read_recorded(log);
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
  return {request, fmt::format("{} {}, a {}-byte JSON body, headers {} (+ host, content-length)",
                               method, path, body.size(), names)};
}

/// The libcurl floor's argv: `requests` requests with `concurrency` in flight to `port`.
std::vector<std::string> floor_argv(const Options& options, const std::string& mode, int port,
                                    const fs::path& request_dir, std::size_t requests,
                                    int concurrency) {
  return {options.curl_floor,
          "--url",
          fmt::format("http://127.0.0.1:{}", port),
          "--request-dir",
          request_dir.string(),
          "--requests",
          std::to_string(requests),
          "--concurrency",
          std::to_string(concurrency),
          "--mode",
          mode};
}

/// Sends one request with the libcurl floor in `mode` to a recording stub and checks that it
/// is the request promptbench sent: method, path, body and every header but Host (the port
/// differs). Throws with the difference otherwise.
void check_floor_request(const Options& options, const std::string& mode, const fs::path& dir,
                         const fs::path& request_dir, const nlohmann::json& expected) {
  // A directory of its own: the stub's port file of an earlier probe must not be read.
  const fs::path own = dir / fmt::format("floor-{}", mode);
  fs::create_directories(own);
  const fs::path log = own / "requests.jsonl";
  Stub stub(options.stub, own, 0, 1, false, {"--record-requests", log.string()});
  Child floor(floor_argv(options, mode, stub.port(), request_dir, 1, 1), own, own / "probe.out",
              own / "probe.err");
  const Exit exit = floor.wait(milliseconds(60'000));
  (void)stub.stop();
  if (exit.code != 0) {
    throw std::runtime_error(
        fmt::format("the curl floor ({}) probe exited {}: {}", mode, exit.code,
                    tail(read_text(dir / "floor-probe.out") + read_text(dir / "floor-probe.err"))));
  }
  const std::vector<nlohmann::json> requests = read_recorded(log);
  if (requests.size() != 1) {
    throw std::runtime_error(fmt::format("the curl floor ({}) probe sent {} requests, expected 1",
                                         mode, requests.size()));
  }
  nlohmann::json sent = requests[0];
  nlohmann::json want = expected;
  sent["headers"].erase("host");
  want["headers"].erase("host");
  if (sent != want) {
    throw std::runtime_error(
        fmt::format("the curl floor ({}) sent another request than promptbench's:\n  floor: {}\n  "
                    "promptbench: {}",
                    mode, sent.dump(), want.dump()));
  }
}

// ---------------------------------------------------------------------------------------------
// One client's run against the stub
// ---------------------------------------------------------------------------------------------

/// One client's run: its own CPU (wait4) and the stub's, over the requests it completed.
struct Phase {
  double wall_s = 0;  ///< promptbench, floor: the process's wall time; wrk: its own duration
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

/// The curl floor's summary line, "curl-floor mode=M requests=N ok=N ..." as a map of numbers.
std::map<std::string, long long> parse_floor_summary(const std::string& output) {
  std::map<std::string, long long> values;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("curl-floor ", 0) != 0) {
      continue;
    }
    std::istringstream pairs(line.substr(11));
    for (std::string pair; pairs >> pair;) {
      const std::size_t equals = pair.find('=');
      if (equals != std::string::npos && pair.substr(0, equals) != "mode") {
        values[pair.substr(0, equals)] = std::stoll(pair.substr(equals + 1));
      }
    }
  }
  return values;
}

/// The libcurl floor in `mode`: as many requests as promptbench sends, `-j` of them in flight,
/// every one checked to be a 200 by the client and by the stub.
Phase run_floor(const Options& options, const Row& row, const std::string& mode,
                const fs::path& dir, const fs::path& request_dir, const Stub& stub,
                std::vector<std::string>& failures) {
  Phase phase;
  const std::vector<std::string> argv =
      floor_argv(options, mode, stub.port(), request_dir, options.cases, row.concurrency);
  const milliseconds timeout(120'000 + 2 * static_cast<long long>(options.cases) +
                             3 * static_cast<long long>(options.cases) * options.latency_ms /
                                 row.concurrency);
  const fs::path out = dir / fmt::format("floor-{}.out", mode);
  const fs::path err = dir / fmt::format("floor-{}.err", mode);
  const Exit exit =
      measure(stub, phase, timeout, milliseconds(0), [&] { return Child(argv, dir, out, err); });
  phase.requests = options.cases;
  const std::string output = read_text(out);
  if (exit.timed_out || exit.code != 0) {
    failures.push_back(fmt::format("curl floor ({}) exited {}: {}", mode, exit.code,
                                   tail(output + read_text(err))));
    return phase;
  }
  const std::map<std::string, long long> summary = parse_floor_summary(output);
  const auto value = [&](const char* key) {
    const auto it = summary.find(key);
    return it == summary.end() ? -1 : it->second;
  };
  const auto cases = static_cast<long long>(options.cases);
  if (value("requests") != cases || value("ok") != cases || value("non2xx") != 0 ||
      value("errors") != 0) {
    failures.push_back(fmt::format("curl floor ({}): expected {} requests, all 200: {}", mode,
                                   cases, tail(output)));
  }
  const nlohmann::json stats = stub.stats();
  const auto expect = [&](const char* what, const nlohmann::json& want) {
    if (field(stats, what) != want) {
      failures.push_back(fmt::format("stub: {} = {} during the curl floor ({}), expected {}", what,
                                     field(stats, what).dump(), mode, want.dump()));
    }
  };
  expect("requests", cases);
  expect("by_status", nlohmann::json{{"200", cases}});
  expect("unique_bodies", 1);
  expect("dropped", 0);
  expect("authorization_seen", cases);
  const nlohmann::json& in_flight = field(stats, "in_flight_max");
  if (!in_flight.is_number_integer() || in_flight.get<long long>() > row.concurrency) {
    failures.push_back(fmt::format("stub: in_flight_max = {} during the curl floor ({}), above {}",
                                   in_flight.dump(), mode, row.concurrency));
  }
  return phase;
}

// ---------------------------------------------------------------------------------------------
// A row: pairs of runs against one stub
// ---------------------------------------------------------------------------------------------

struct Pair {
  Phase eval;
  Phase wrk;
  std::vector<Phase> floors;  ///< one per Options::floor_modes
  [[nodiscard]] double ratio() const {
    return wrk.cpu_us_per_request() <= 0 ? 0 : eval.cpu_us_per_request() / wrk.cpu_us_per_request();
  }
  /// promptbench's CPU per request over the floor's in floor_modes[i].
  [[nodiscard]] double floor_ratio(std::size_t i) const {
    const double floor = floors.at(i).cpu_us_per_request();
    return floor <= 0 ? 0 : eval.cpu_us_per_request() / floor;
  }
  [[nodiscard]] double other_cores() const {
    double other = std::max(eval.other_cores(), wrk.other_cores());
    for (const Phase& floor : floors) {
      other = std::max(other, floor.other_cores());
    }
    return other;
  }
};

struct RowResult {
  Row row;
  std::vector<Pair> pairs;
  std::vector<std::string> failures;
};

/// `options.repeat` runs of every client against one fresh stub; the order rotates (eval, wrk,
/// floors...; then wrk first, and so on) so that no client always meets a stub another has just
/// warmed.
RowResult run_row(const Options& options, const Row& row, const fs::path& request_dir) {
  RowResult result;
  result.row = row;
  const ScratchDir scratch(options.keep);
  const fs::path& dir = scratch.path();
  try {
    Stub stub(options.stub, dir, options.latency_ms, row.concurrency, false);
    write_echo_inputs(dir, fmt::format("wire-c{}", row.concurrency), options.cases, row.concurrency,
                      stub.port(), kKeyVariable);
    const std::size_t clients = 2 + options.floor_modes.size();
    for (int i = 0; i < options.repeat && result.failures.empty(); ++i) {
      Pair pair;
      pair.floors.resize(options.floor_modes.size());
      for (std::size_t k = 0; k < clients; ++k) {
        const std::size_t client = (k + static_cast<std::size_t>(i)) % clients;
        if (client == 0) {
          pair.eval = run_eval(options, row, dir, stub, result.failures);
        } else if (client == 1) {
          pair.wrk = run_wrk(options, row, dir, request_dir, stub, result.failures);
        } else {
          pair.floors[client - 2] = run_floor(options, row, options.floor_modes[client - 2], dir,
                                              request_dir, stub, result.failures);
        }
      }
      std::string floors;
      for (std::size_t f = 0; f < pair.floors.size(); ++f) {
        floors += fmt::format(", curl floor ({}) {:.1f} µs/req ({:.0f} req/s, pb/floor {:.2f})",
                              options.floor_modes[f], pair.floors[f].cpu_us_per_request(),
                              pair.floors[f].requests_per_second(), pair.floor_ratio(f));
      }
      std::cerr << fmt::format(
          "  c{} journal {} run {}/{}: promptbench {:.1f} µs/req ({:.0f} req/s), wrk {:.1f} "
          "µs/req ({:.0f} req/s), ratio {:.2f}{}, other load {:.2f} cores{}\n",
          row.concurrency, row.journal ? "on" : "off", i + 1, options.repeat,
          pair.eval.cpu_us_per_request(), pair.eval.requests_per_second(),
          pair.wrk.cpu_us_per_request(), pair.wrk.requests_per_second(), pair.ratio(), floors,
          pair.other_cores(), result.failures.empty() ? "" : " FAILED");
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

/// "a / b" of the floors' medians, `get(pair, floor index)` each.
template <typename Get>
std::string per_floor(const std::vector<Pair>& pairs, std::size_t floors, const char* format,
                      Get get) {
  std::string text;
  for (std::size_t f = 0; f < floors; ++f) {
    text += (f == 0 ? "" : " / ") +
            fmt::format(fmt::runtime(format),
                        median_of(pairs, [&](const Pair& p) { return get(p, f); }));
  }
  return text;
}

void print_table(const std::vector<RowResult>& rows, const std::vector<std::string>& floor_modes) {
  std::string modes;
  for (const std::string& mode : floor_modes) {
    modes += (modes.empty() ? "" : " / ") + mode;
  }
  const bool floors = !floor_modes.empty();
  std::cout << "\n| concurrency | journal | promptbench req/s | promptbench CPU µs/req | wrk req/s "
               "| wrk CPU µs/req | **ratio** | ratio range | "
            << (floors ? fmt::format("curl floor CPU µs/req ({}) | **pb / curl floor** ({}) | ",
                                     modes, modes)
                       : "")
            << "stub CPU µs/req (pb / wrk) | other CPU cores | status |\n"
            << "|--:|---|--:|--:|--:|--:|--:|---|" << (floors ? "--:|--:|" : "")
            << "---|--:|---|\n";
  for (const RowResult& r : rows) {
    const auto ratio = [](const Pair& p) { return p.ratio(); };
    double low = 0;
    double high = 0;
    double other = 0;
    for (std::size_t i = 0; i < r.pairs.size(); ++i) {
      low = i == 0 ? r.pairs[i].ratio() : std::min(low, r.pairs[i].ratio());
      high = std::max(high, r.pairs[i].ratio());
      other = std::max(other, r.pairs[i].other_cores());
    }
    const std::string floor_columns =
        !floors
            ? ""
            : fmt::format("{} | **{}** | ",
                          per_floor(r.pairs, floor_modes.size(), "{:.1f}",
                                    [](const Pair& p, std::size_t f) {
                                      return p.floors.at(f).cpu_us_per_request();
                                    }),
                          per_floor(r.pairs, floor_modes.size(), "{:.2f}",
                                    [](const Pair& p, std::size_t f) { return p.floor_ratio(f); }));
    std::cout << fmt::format(
        "| {} | {} | {:.0f} | {:.1f} | {:.0f} | {:.1f} | **{:.2f}** | {:.2f}–{:.2f} | {}{:.1f} / "
        "{:.1f} | {:.2f} | {} |\n",
        r.row.concurrency, r.row.journal ? "on" : "off (--no-cache)",
        median_of(r.pairs, [](const Pair& p) { return p.eval.requests_per_second(); }),
        median_of(r.pairs, [](const Pair& p) { return p.eval.cpu_us_per_request(); }),
        median_of(r.pairs, [](const Pair& p) { return p.wrk.requests_per_second(); }),
        median_of(r.pairs, [](const Pair& p) { return p.wrk.cpu_us_per_request(); }),
        median_of(r.pairs, ratio), low, high, floor_columns,
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
  Recorded request;
  try {
    request = record_request(options, probe.path(), probe.path() / "request");
  } catch (const std::exception& e) {
    std::cout << "FAILED probe (recording promptbench's request): " << e.what() << "\n";
    return 1;
  }
  for (const std::string& mode : options.floor_modes) {
    try {
      check_floor_request(options, mode, probe.path(), probe.path() / "request", request.request);
    } catch (const std::exception& e) {
      std::cout << "FAILED probe (the curl floor's request): " << e.what() << "\n";
      return 1;
    }
  }
  std::string floor_line;
  if (!options.floor_modes.empty()) {
    std::string modes;
    for (const std::string& mode : options.floor_modes) {
      modes += (modes.empty() ? "" : ", ") + mode;
    }
    floor_line = fmt::format(
        "- curl floor: {} ({}), modes {}, {} requests per run, each mode checked to send "
        "promptbench's request (method, path, headers, body)\n",
        options.curl_floor, first_line_of({options.curl_floor, "--version"}, probe.path()), modes,
        options.cases);
  }
  std::cout << "# promptbench against the wire (wrk)\n\n"
            << "- promptbench: " << options.promptbench << " ("
            << first_line_of({options.promptbench, "--version"}, probe.path()) << ")\n"
            << "- wrk: " << options.wrk << " (" << first_line_of({options.wrk, "-v"}, probe.path())
            << "), -t 1, script " << options.lua << "\n"
            << "- stub: " << options.stub << " (--no-compression, --latency-ms "
            << options.latency_ms << ")\n"
            << floor_line << "- request (recorded from promptbench): " << request.description
            << "\n"
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
  print_table(results, options.floor_modes);
  std::cout << "\n- load average at end: " << load_average() << "\n"
            << "- ratio = promptbench's CPU µs per request / wrk's (user + system, wait4(), "
               "each over the requests it completed)\n";
  if (!options.floor_modes.empty()) {
    std::cout << "- pb / curl floor = promptbench's CPU µs per request / the libcurl floor's "
                 "(like: promptbench's libcurl calls; minimal: the fewest libcurl needs)\n";
  }
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
