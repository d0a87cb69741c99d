// SPDX-License-Identifier: Apache-2.0
// A long-lived external scorer speaking JSON lines over its stdin and stdout (the `command`
// metric, docs/SCORERS.md). One request line out, one reply line back, with a timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "util/input_limits.hpp"

namespace promptbench {

/// One reply line of the protocol, read: a finite `score`, the scorer's own `pass` (nullopt
/// when absent or null: the metric's threshold decides) and its `reason` (null when none).
struct ScorerReply {
  double score = 0;
  std::optional<bool> pass;
  nlohmann::json reason;
};

/// Reads a reply line. An error, quoting the reply's first 200 bytes, when it nests deeper
/// than the input limit, is not a JSON object, has no finite numeric `score`, or has a
/// `pass` other than true, false or null.
[[nodiscard]] tl::expected<ScorerReply, std::string> parse_scorer_reply(const std::string& reply);

class ScorerProcess {
 public:
  /// `argv[0]` is looked up on PATH unless it holds a '/'; the process runs in `cwd`. A reply
  /// line longer than `max_reply_bytes` stops the scorer (its stderr is not read: it passes
  /// through to ours).
  ScorerProcess(std::vector<std::string> argv, std::filesystem::path cwd,
                std::size_t max_reply_bytes = util::kMaxScorerReplyBytes);
  ~ScorerProcess();
  ScorerProcess(const ScorerProcess&) = delete;
  ScorerProcess& operator=(const ScorerProcess&) = delete;

  /// Sends `line` (without its newline) and returns the next line the scorer prints,
  /// starting the scorer first if it is not running. On a timeout, an exit, a failed start,
  /// a reply over the size limit or output no request asked for (a second line for one
  /// request) the process is stopped and the error says what happened; the next call starts
  /// a fresh one. Memory stays within the size limit whatever the scorer writes.
  [[nodiscard]] tl::expected<std::string, std::string> exchange(const std::string& line,
                                                                std::chrono::milliseconds timeout);

  /// Stops the scorer: closes its stdin, waits briefly for it to exit, then kills it.
  void stop();

  /// The running scorer's process id; 0 when none runs (for tests).
  [[nodiscard]] pid_t pid() const { return m_pid; }

 private:
  [[nodiscard]] tl::expected<void, std::string> start();
  [[nodiscard]] std::string exit_description();
  /// Kills the scorer (its whole process group) and reaps it.
  void kill_now();
  [[nodiscard]] bool has_unasked_output();
  [[nodiscard]] tl::expected<std::string, std::string> read_reply(
      std::chrono::milliseconds timeout, std::chrono::steady_clock::time_point deadline);
  /// The command line, for messages: "./score.py --strict".
  [[nodiscard]] std::string name() const;

  std::vector<std::string> m_argv;
  std::filesystem::path m_cwd;
  std::size_t m_max_reply_bytes;
  pid_t m_pid = 0;
  int m_fd = -1;         ///< our end of the socket pair: the scorer's stdin and stdout
  std::string m_buffer;  ///< bytes read past the last reply line
};

}  // namespace promptbench
