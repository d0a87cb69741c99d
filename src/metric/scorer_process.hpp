// SPDX-License-Identifier: Apache-2.0
// A long-lived external scorer speaking JSON lines over its stdin and stdout (the `command`
// metric, docs/SCORERS.md). One request line out, one reply line back, with a timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace promptbench {

class ScorerProcess {
 public:
  /// `argv[0]` is looked up on PATH unless it holds a '/'; the process runs in `cwd`.
  ScorerProcess(std::vector<std::string> argv, std::filesystem::path cwd);
  ~ScorerProcess();
  ScorerProcess(const ScorerProcess&) = delete;
  ScorerProcess& operator=(const ScorerProcess&) = delete;

  /// Sends `line` (without its newline) and returns the next line the scorer prints,
  /// starting the scorer first if it is not running. On a timeout, an exit or a failed
  /// start the process is stopped and the error says what happened; the next call starts
  /// a fresh one.
  [[nodiscard]] tl::expected<std::string, std::string> exchange(const std::string& line,
                                                                std::chrono::milliseconds timeout);

  /// Stops the scorer: closes its stdin, waits briefly for it to exit, then kills it.
  void stop();

  /// The running scorer's process id; 0 when none runs (for tests).
  [[nodiscard]] pid_t pid() const { return m_pid; }

 private:
  [[nodiscard]] tl::expected<void, std::string> start();
  [[nodiscard]] std::string exit_description();

  std::vector<std::string> m_argv;
  std::filesystem::path m_cwd;
  pid_t m_pid = 0;
  int m_fd = -1;         ///< our end of the socket pair: the scorer's stdin and stdout
  std::string m_buffer;  ///< bytes read past the last reply line
};

}  // namespace promptbench
