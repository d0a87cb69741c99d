// SPDX-License-Identifier: Apache-2.0
// Process and endpoint plumbing of the end-to-end benchmark: a child process measured with
// wait4(), and the stub endpoint's lifetime (its /stats through tests/support/http_client).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promptbench::bench {

/// How a child ended, with its resource usage from wait4().
struct Exit {
  int code = -1;  ///< exit status, or 128 + signal number
  rusage usage{};
  bool timed_out = false;  ///< the child was SIGKILLed after the timeout
};

/// User plus system CPU time in seconds.
[[nodiscard]] double cpu_seconds(const rusage& usage);

/// A child started with fork/execv in `dir`, stdin from /dev/null, stdout and stderr to the
/// files `out` and `err`. Throws std::runtime_error if it cannot be started. Only this PID is
/// ever signalled; the destructor SIGKILLs and reaps a child that is still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& dir,
        const std::filesystem::path& out, const std::filesystem::path& err);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// False once the child has exited (it is then reaped).
  [[nodiscard]] bool running();
  /// Sends `signal_number` if the child has not been reaped yet.
  void signal(int signal_number);
  /// The child's process id (only ever signalled or read from /proc while it is ours).
  [[nodiscard]] pid_t pid() const { return m_pid; }
  /// Waits for exit without polling delay (a pidfd); after `timeout` SIGKILLs the child,
  /// reaps it and sets `timed_out`. Further calls return the same Exit.
  Exit wait(std::chrono::milliseconds timeout);

 private:
  bool reap(int flags);

  pid_t m_pid = -1;
  int m_pidfd = -1;
  std::optional<Exit> m_exit;
};

/// The whole file, or "" if it cannot be read.
[[nodiscard]] std::string read_text(const std::filesystem::path& path);

/// The last `max` bytes of `text`, for error messages.
[[nodiscard]] std::string tail(const std::string& text, std::size_t max = 600);

/// promptbench-stub on 127.0.0.1 with a kernel-chosen port, its files in `dir`. Unless
/// `compression`, it runs with --no-compression: httplib would otherwise brotli-compress every
/// answer at quality 11, about 1 ms of the stub's CPU per request, which on a small machine
/// takes the cores away from the process being measured. The constructor returns once the port
/// file exists (throws std::runtime_error after 10 s).
class Stub {
 public:
  /// `extra_args` go to the stub's command line as given (e.g. --record-requests PATH).
  Stub(const std::string& binary, const std::filesystem::path& dir, int latency_ms, int concurrency,
       bool compression, const std::vector<std::string>& extra_args = {});

  [[nodiscard]] int port() const { return m_port; }
  /// GET /stats, parsed.
  [[nodiscard]] nlohmann::json stats() const;
  /// POST /reset: every counter back to zero, so that the next client is checked alone.
  void reset() const;
  /// User plus system CPU the running stub has spent so far (all its threads, from
  /// /proc/PID/stat, in clock ticks of usually 10 ms); -1 if unreadable.
  [[nodiscard]] double cpu_seconds_so_far() const;
  /// SIGTERM, then SIGKILL after 5 s: the stub's exit status and CPU time.
  Exit stop();

 private:
  std::optional<Child> m_child;
  int m_port = 0;
};

// --- inputs and machine readings shared by the end-to-end benchmarks ----------------------

/// The prompt's fixed text; the echo stub answers with the whole prompt, which is also the
/// reference, so exact_match is 1 for every case whose answer arrived intact.
inline constexpr const char* kPromptPrefix = "Repeat this review verbatim: ";

/// Writes `dir`/cases.jsonl, `cases` unique rows with ids "c0", "c1", ... (row by row, never
/// held in memory), and `dir`/bench.yaml: one openai provider at 127.0.0.1:`port` with
/// `concurrency` (also the run's), the echo prompt and exact_match. With `api_key_env` the
/// provider sends `Authorization: Bearer $api_key_env` like one talking to a real endpoint.
/// Throws on a write error.
void write_echo_inputs(const std::filesystem::path& dir, const std::string& name, std::size_t cases,
                       int concurrency, int port, const std::string& api_key_env = "");

/// Checks that an eval of write_echo_inputs() did the work its figures are credited with: a
/// complete report at `path` with every one of `cases` scored once, no errors, exact_match 1
/// everywhere (the stub echoes the prompt, which is the reference), no cache hit, and the
/// variant's aggregates agreeing. Cases are inspected and discarded as they are parsed, so the
/// driver stays small (its resident set would otherwise leak into a child's ru_maxrss). Each
/// problem is appended to `failures`.
void check_echo_report(const std::filesystem::path& path, std::size_t cases,
                       std::vector<std::string>& failures);

/// Checks the stub's counters after such an eval: each case sent exactly once, all answered
/// 200, never more requests in flight than `concurrency`.
void check_echo_stub(const nlohmann::json& stats, std::size_t cases, int concurrency,
                     std::vector<std::string>& failures);

/// CPU time all cores have spent busy since boot, from /proc/stat (user, nice, system, irq,
/// softirq, steal); 0 if unreadable.
[[nodiscard]] double machine_busy_seconds();

/// /proc/loadavg's three averages, "0.52 0.61 0.70".
[[nodiscard]] std::string load_average();

/// ru_maxrss of a child that does nothing (`/bin/true`), started as the measured ones are.
/// Linux carries the parent's resident set at fork() into the child's ru_maxrss, so this is
/// the floor below which a measured peak cannot be told from the driver's own.
[[nodiscard]] double measure_floor_mib();

/// `object[key]` if `object` is an object that has it, else null (never inserts, never throws).
[[nodiscard]] const nlohmann::json& field(const nlohmann::json& object, const char* key);

}  // namespace promptbench::bench
