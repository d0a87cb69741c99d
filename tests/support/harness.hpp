// SPDX-License-Identifier: Apache-2.0
// Integration-test harness: runs real binaries as child processes, manages the stub server,
// temporary directories; tiny HTTP requests to 127.0.0.1 come from http_client.hpp.
#pragma once

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace promptbench::testing {

inline constexpr std::chrono::milliseconds kDefaultProcessTimeout{120'000};

struct ProcessResult {
  int exit_code = -1;      // the exit status, or 128 + signal number when killed by a signal
  std::string out;         // everything the process wrote to stdout
  std::string err;         // everything the process wrote to stderr
  bool timed_out = false;  // true if the harness killed it (SIGKILL) after the timeout
};

struct RunOptions {
  // Added to (or overriding) the current environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Removed from the environment (applied before `env`).
  std::vector<std::string> unset_env;
  // Working directory of the child; empty = the current one.
  std::string working_dir;
  // Written to the child's stdin, which is then closed; without it stdin is empty.
  std::optional<std::string> stdin_text;
  // run_process() and ChildProcess::wait() SIGKILL the child after this and record a test
  // failure (ProcessResult::timed_out).
  std::chrono::milliseconds timeout = kDefaultProcessTimeout;
};

// Runs argv to completion, capturing both streams. argv[0] without a '/' is looked up in
// PATH (of the child's environment). Throws std::runtime_error if the program cannot be
// started.
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

// A child process running in the background; its stdout and stderr are drained by a helper
// thread so it never blocks on a full pipe. The destructor SIGKILLs and reaps a child that is
// still running. Only the PID this object started is ever signalled.
class ChildProcess {
 public:
  ChildProcess();
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Throws std::runtime_error if already started or if the program cannot be started.
  void start(const std::vector<std::string>& argv, const RunOptions& options = {});
  pid_t pid() const;
  bool is_running();
  // Sends `signal_number` to the child if it is still running; false if it was not.
  bool send_signal(int signal_number);
  // Waits for exit (SIGKILL and a test failure after options.timeout) and returns the output.
  // Further calls return the same result.
  ProcessResult wait();
  // Waits for exit up to `timeout` without killing; nullopt if still running.
  std::optional<ProcessResult> wait_for(std::chrono::milliseconds timeout);
  // Output captured so far (the child may still be writing).
  std::string out_so_far() const;
  std::string err_so_far() const;
  // Waits until stdout contains `needle`; false on timeout or if the child exited first.
  bool wait_for_out(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// promptbench-stub on 127.0.0.1 with a kernel-chosen port. The constructor returns once the
// stub has printed its "listening on" line (throws std::runtime_error after 10 s, with the
// stub's stderr in the message). The destructor SIGTERMs it and SIGKILLs it after 5 s; if the
// stub was still running then and does not exit 0 (e.g. a sanitizer report), the test fails.
class StubServer {
 public:
  explicit StubServer(const std::vector<std::string>& extra_args = {});
  ~StubServer();
  StubServer(const StubServer&) = delete;
  StubServer& operator=(const StubServer&) = delete;

  int port() const { return m_port; }
  // "http://127.0.0.1:PORT/v1", the base URL an OpenAI client expects.
  std::string base_url() const;
  // GET /stats, parsed.
  nlohmann::json stats() const;
  // POST /reset: zeroes the counters and re-seeds the fault PRNG.
  void reset() const;
  // SIGTERM, then wait (SIGKILL after 5 s); for checking a clean shutdown and --stats-file.
  ProcessResult stop();
  // The child itself, for signalling it directly; the test then checks the exit status.
  ChildProcess& process() { return m_process; }

 private:
  ChildProcess m_process;
  int m_port = 0;
  std::optional<ProcessResult> m_stopped;
};

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // Writes `content` to path()/relative (creating parent directories); returns the absolute
  // path. Throws std::runtime_error on failure.
  std::string write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path m_path;
};

// The whole file; throws std::runtime_error if it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A JSON Lines file (the stub's --record-requests log), one value per non-empty line; empty
// when the file does not exist (no request was recorded).
std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path);

// Runs the promptbench binary to completion with `dir` as its working directory (so paths in
// its messages are relative) and NO_COLOR removed from its environment (a test wanting it
// passes it in options.env); the timeout is 60 s unless options set another.
ProcessResult promptbench(const TempDir& dir, const std::vector<std::string>& args,
                          RunOptions options = {});

// `text` with every occurrence of `from` replaced by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to);

// Absolute paths fixed at build time (tests/CMakeLists.txt compile definitions).
std::string promptbench_bin();
std::string stub_bin();
std::string source_dir();

}  // namespace promptbench::testing
