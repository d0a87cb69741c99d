// SPDX-License-Identifier: Apache-2.0
// Process and endpoint plumbing of the end-to-end benchmark (see e2e_support.hpp).
#include "e2e_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "support/http_client.hpp"

namespace promptbench::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double cpu_seconds(const rusage& usage) {
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ---------------------------------------------------------------------------------------------
// Child
// ---------------------------------------------------------------------------------------------

Child::Child(const std::vector<std::string>& argv, const fs::path& dir, const fs::path& out,
             const fs::path& err) {
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  int exec_pipe[2];  // the child writes errno here if it cannot exec; CLOEXEC closes it otherwise
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(fmt::format("pipe2: {}", std::strerror(errno)));
  }
  m_pid = ::fork();
  if (m_pid < 0) {
    const int error = errno;
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(error)));
  }
  if (m_pid == 0) {
    // Only async-signal-safe calls from here on.
    ::close(exec_pipe[0]);
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in >= 0 && o >= 0 && e >= 0 && ::dup2(in, 0) >= 0 && ::dup2(o, 1) >= 0 &&
        ::dup2(e, 2) >= 0 && ::chdir(dir.c_str()) == 0) {
      ::execv(args[0], args.data());
    }
    const int error = errno;
    (void)!::write(exec_pipe[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  int error = 0;
  ssize_t got = 0;
  do {
    got = ::read(exec_pipe[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (got > 0) {
    reap(0);
    throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(error)));
  }
  // glibc 2.36 declares pidfd_open() without C linkage: use the system call itself. Without a
  // pidfd (old kernels) wait() polls every millisecond instead.
  m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0));
}

Child::~Child() {
  if (!m_exit) {
    ::kill(m_pid, SIGKILL);
    reap(0);
  }
  if (m_pidfd >= 0) {
    ::close(m_pidfd);
  }
}

bool Child::running() {
  return !m_exit && !reap(WNOHANG);
}

void Child::signal(int signal_number) {
  if (!m_exit) {
    ::kill(m_pid, signal_number);
  }
}

Exit Child::wait(milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!m_exit) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ::kill(m_pid, SIGKILL);
      if (!reap(0)) {
        m_exit = Exit{};  // cannot happen for our own unreaped child; keeps m_exit set
      }
      m_exit->timed_out = true;
      break;
    }
    if (m_pidfd >= 0) {
      // The pidfd becomes readable the moment the child exits.
      pollfd fd{m_pidfd, POLLIN, 0};
      (void)::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 1'000)));
    } else {
      std::this_thread::sleep_for(milliseconds(1));
    }
    reap(WNOHANG);
  }
  return *m_exit;
}

bool Child::reap(int flags) {
  int status = 0;
  rusage usage{};
  pid_t got = 0;
  do {
    got = ::wait4(m_pid, &status, flags, &usage);
  } while (got < 0 && errno == EINTR);
  if (got != m_pid) {
    return false;
  }
  Exit exit;
  exit.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  exit.usage = usage;
  m_exit = exit;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Files and HTTP
// ---------------------------------------------------------------------------------------------

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string tail(const std::string& text, std::size_t max) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

// ---------------------------------------------------------------------------------------------
// Stub
// ---------------------------------------------------------------------------------------------

Stub::Stub(const std::string& binary, const fs::path& dir, int latency_ms, int concurrency,
           bool compression, const std::vector<std::string>& extra_args) {
  // One pool thread per keep-alive connection (docs/STUB.md), with room to spare.
  const int threads = concurrency + 16;
  const fs::path port_file = dir / "stub.port";
  std::vector<std::string> argv = {binary,
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   "0",
                                   "--port-file",
                                   port_file.string(),
                                   "--latency-ms",
                                   std::to_string(latency_ms),
                                   "--threads",
                                   std::to_string(threads),
                                   "--max-threads",
                                   std::to_string(std::max(1024, 4 * threads))};
  if (!compression) {
    argv.emplace_back("--no-compression");
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  m_child.emplace(argv, dir, dir / "stub.out", dir / "stub.err");
  const Clock::time_point deadline = Clock::now() + milliseconds(10'000);
  for (;;) {
    // The stub writes the port file atomically: a complete line or nothing.
    const std::string text = read_text(port_file);
    if (!text.empty() && text.back() == '\n') {
      m_port = std::stoi(text);
      return;
    }
    if (!m_child->running() || Clock::now() > deadline) {
      throw std::runtime_error("the stub did not start: " + tail(read_text(dir / "stub.err")));
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
}

nlohmann::json Stub::stats() const {
  const testing::HttpResponse response = testing::http_request(m_port, "GET", "/stats");
  if (response.status != 200) {
    throw std::runtime_error(fmt::format("GET /stats answered {}", response.status));
  }
  return nlohmann::json::parse(response.body);
}

void Stub::reset() const {
  const testing::HttpResponse response = testing::http_request(m_port, "POST", "/reset");
  if (response.status != 200) {
    throw std::runtime_error(fmt::format("POST /reset answered {}", response.status));
  }
}

double Stub::cpu_seconds_so_far() const {
  // Fields 14 and 15 (utime, stime) count every thread of the process; the command name
  // (field 2) may hold spaces, so count from its closing parenthesis.
  const std::string stat = read_text(fmt::format("/proc/{}/stat", m_child->pid()));
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(close + 1));
  std::string skipped;
  for (int i = 3; i <= 13; ++i) {
    fields >> skipped;
  }
  unsigned long long user = 0;
  unsigned long long system = 0;
  if (!(fields >> user >> system)) {
    return -1;
  }
  return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

Exit Stub::stop() {
  m_child->signal(SIGTERM);
  return m_child->wait(milliseconds(5'000));
}

void write_echo_inputs(const std::filesystem::path& dir, const std::string& name, std::size_t cases,
                       int concurrency, int port, const std::string& api_key_env) {
  {
    std::ofstream rows(dir / "cases.jsonl", std::ios::binary);
    std::string line;
    for (std::size_t i = 0; i < cases; ++i) {
      // Unique text per case, so the stub sees distinct bodies; plain ASCII, no escaping.
      const std::string text = fmt::format("case {} of {}: the food was good", i, cases);
      line =
          fmt::format(R"({{"id":"c{}","text":"{}","label":"{}{}"}})", i, text, kPromptPrefix, text);
      line += '\n';
      rows.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    if (!rows.flush()) {
      throw std::runtime_error("cannot write " + (dir / "cases.jsonl").string());
    }
  }
  std::ofstream config(dir / "bench.yaml", std::ios::binary);
  config << fmt::format(
      R"(name: bench-{name}
concurrency: {c}
providers:
  - id: stub
    type: openai
    base_url: http://127.0.0.1:{port}/v1
    model: bench
    concurrency: {c}
    timeout: 30s
    retries: 0{key}
prompts:
  - id: echo
    template: "{prefix}{{{{text}}}}"
dataset:
  path: cases.jsonl
  reference: label
  id: id
metrics:
  - exact_match: {{normalize: [trim, lower]}}
)",
      fmt::arg("name", name), fmt::arg("c", concurrency), fmt::arg("port", port),
      fmt::arg("prefix", kPromptPrefix),
      fmt::arg("key", api_key_env.empty() ? std::string() : "\n    api_key_env: " + api_key_env));
  if (!config.flush()) {
    throw std::runtime_error("cannot write " + (dir / "bench.yaml").string());
  }
}

// See e2e_support.hpp.
void check_echo_report(const fs::path& path, std::size_t cases,
                       std::vector<std::string>& failures) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    failures.push_back("no report at " + path.string());
    return;
  }
  std::size_t seen = 0;
  std::size_t scored = 0;
  std::size_t matched = 0;
  bool in_cases = false;
  const auto filter = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth == 1 && event == Event::key) {
      in_cases = parsed == "cases";
    }
    if (in_cases && depth == 2 && event == Event::object_end) {
      ++seen;
      const nlohmann::json& results = field(parsed, "results");
      if (results.is_array() && results.size() == 1 && field(results[0], "error").is_null()) {
        const nlohmann::json& score = field(field(results[0], "scores"), "exact_match");
        if (score.is_number()) {
          ++scored;
          matched += score.get<double>() == 1.0 ? 1 : 0;
        }
      }
      return false;  // discard the case
    }
    return true;
  };
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(in, filter);
  } catch (const std::exception& e) {
    failures.push_back(fmt::format("report is not valid JSON: {}", e.what()));
    return;
  }
  if (field(field(report, "run"), "complete") != true) {
    failures.push_back("report: run.complete is not true");
  }
  if (seen != cases || scored != cases) {
    failures.push_back(
        fmt::format("report: {} cases, {} scored, expected {}", seen, scored, cases));
  }
  if (matched != scored) {
    failures.push_back(fmt::format("report: {} of {} answers did not echo the prompt intact",
                                   scored - matched, scored));
  }
  const nlohmann::json& variants = field(report, "variants");
  if (!variants.is_array() || variants.size() != 1) {
    failures.push_back("report: expected exactly one variant");
    return;
  }
  const nlohmann::json& variant = variants[0];
  const nlohmann::json& exact = field(field(variant, "metrics"), "exact_match");
  const auto expect = [&](const char* what, const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) {
      failures.push_back(
          fmt::format("report: {} = {}, expected {}", what, got.dump(), want.dump()));
    }
  };
  expect("variants[0].cases", field(variant, "cases"), cases);
  expect("variants[0].errors", field(variant, "errors"), 0);
  expect("variants[0].attempts", field(variant, "attempts"), cases);
  expect("variants[0].cache_hits", field(variant, "cache_hits"), 0);
  expect("variants[0].metrics.exact_match.n", field(exact, "n"), cases);
  expect("variants[0].metrics.exact_match.mean", field(exact, "mean"), 1.0);
}

void check_echo_stub(const nlohmann::json& stats, std::size_t cases, int concurrency,
                     std::vector<std::string>& failures) {
  const auto expect = [&](const char* what, const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) {
      failures.push_back(fmt::format("stub: {} = {}, expected {}", what, got.dump(), want.dump()));
    }
  };
  expect("requests", field(stats, "requests"), cases);
  expect("unique_bodies", field(stats, "unique_bodies"), cases);
  expect("by_status", field(stats, "by_status"), nlohmann::json{{"200", cases}});
  expect("dropped", field(stats, "dropped"), 0);
  expect("bodies_answered_ok_more_than_once", field(stats, "bodies_answered_ok_more_than_once"), 0);
  const nlohmann::json& in_flight = field(stats, "in_flight_max");
  if (!in_flight.is_number_integer() || in_flight.get<long long>() > concurrency) {
    failures.push_back(fmt::format("stub: in_flight_max = {}, above the concurrency {}",
                                   in_flight.dump(), concurrency));
  }
}

double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::array<unsigned long long, 8> ticks{};  // user nice system idle iowait irq softirq steal
  in >> cpu;
  for (unsigned long long& value : ticks) {
    in >> value;
  }
  if (!in || cpu != "cpu") {
    return 0;
  }
  const unsigned long long busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
  return static_cast<double>(busy) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  std::string five;
  std::string fifteen;
  in >> one >> five >> fifteen;
  return fmt::format("{} {} {}", one, five, fifteen);
}

double measure_floor_mib() {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  Child child({"/bin/true"}, dir, "/dev/null", "/dev/null");
  return static_cast<double>(child.wait(std::chrono::milliseconds(10'000)).usage.ru_maxrss) /
         1024.0;
}

const nlohmann::json& field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json null;
  if (!object.is_object()) {
    return null;
  }
  const auto it = object.find(key);
  return it == object.end() ? null : *it;
}

}  // namespace promptbench::bench
