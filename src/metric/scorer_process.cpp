// SPDX-License-Identifier: Apache-2.0
// The external scorer's process: spawned with posix_spawn on one end of a socket pair (its
// stdin and stdout), in its own process group so that Ctrl-C at the terminal reaches
// promptbench, which then finishes the cases in flight, rather than killing the scorer; and
// reading its reply lines (parse_scorer_reply, a function of its own so it can be fuzzed).
#include "metric/scorer_process.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/input_limits.hpp"
#include "util/json_depth.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace promptbench {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       ::strsignal(WTERMSIG(status)));
  }
  return "stopped";
}

/// Spawn settings: a process group of its own and default signal handling.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    ::posix_spawnattr_init(&m_attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int signal : {SIGPIPE, SIGINT, SIGTERM}) {
      sigaddset(&defaults, signal);
    }
    ::posix_spawnattr_setsigmask(&m_attr, &none);
    ::posix_spawnattr_setsigdefault(&m_attr, &defaults);
    ::posix_spawnattr_setpgroup(&m_attr, 0);
    ::posix_spawnattr_setflags(
        &m_attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&m_attr); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &m_attr; }

 private:
  posix_spawnattr_t m_attr{};
};

class FileActions {
 public:
  FileActions(int child_fd, const std::filesystem::path& cwd) {
    ::posix_spawn_file_actions_init(&m_actions);
    ::posix_spawn_file_actions_adddup2(&m_actions, child_fd, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&m_actions, child_fd, STDOUT_FILENO);
    if (!cwd.empty()) {
      ::posix_spawn_file_actions_addchdir_np(&m_actions, cwd.c_str());
    }
  }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&m_actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  const posix_spawn_file_actions_t* get() const { return &m_actions; }

 private:
  posix_spawn_file_actions_t m_actions{};
};

constexpr std::size_t kQuotedReplyLength = 200;

std::string quoted_reply(const std::string& reply) {
  return reply.size() <= kQuotedReplyLength ? reply : reply.substr(0, kQuotedReplyLength) + "...";
}

}  // namespace

ScorerProcess::ScorerProcess(std::vector<std::string> argv, std::filesystem::path cwd,
                             std::size_t max_reply_bytes)
    : m_argv(std::move(argv)), m_cwd(std::move(cwd)), m_max_reply_bytes(max_reply_bytes) {}

ScorerProcess::~ScorerProcess() {
  stop();
}

tl::expected<void, std::string> ScorerProcess::start() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return tl::unexpected(fmt::format("cannot create a socket pair: {}", std::strerror(errno)));
  }
  std::vector<char*> argv;
  for (std::string& arg : m_argv) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const FileActions actions(fds[1], m_cwd);
  const SpawnAttributes attributes;
  pid_t pid = 0;
  const int error =
      ::posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), environ);
  ::close(fds[1]);
  if (error != 0) {
    ::close(fds[0]);
    return tl::unexpected(
        fmt::format("cannot start '{}': {}", m_argv.front(), std::strerror(error)));
  }
  m_pid = pid;
  m_fd = fds[0];
  m_buffer.clear();
  return {};
}

void ScorerProcess::stop() {
  (void)exit_description();
}

/// Closes the scorer's stdin and reaps it: a well-behaved scorer exits on end of input; one
/// that does not within a second is killed.
std::string ScorerProcess::exit_description() {
  if (m_pid == 0) {
    return "is not running";
  }
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  pid_t reaped = 0;
  while ((reaped = ::waitpid(m_pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (reaped == 0) {
    ::kill(-m_pid, SIGKILL);  // the group: a shell scorer's children too
    ::waitpid(m_pid, &status, 0);
  }
  m_pid = 0;
  m_buffer.clear();
  return describe_status(status);
}

void ScorerProcess::kill_now() {
  ::kill(-m_pid, SIGKILL);  // the group: a shell scorer's children too
  (void)exit_description();
}

/// Output waiting before a request is sent answers nothing: a scorer that writes two lines
/// per request, or writes without being asked, would else have its replies taken for the
/// wrong cases.
bool ScorerProcess::has_unasked_output() {
  if (!m_buffer.empty()) {
    return true;
  }
  pollfd ready{m_fd, POLLIN, 0};
  char byte = 0;
  return ::poll(&ready, 1, 0) > 0 && ::recv(m_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

std::string ScorerProcess::name() const {
  return fmt::format("{}", fmt::join(m_argv, " "));
}

tl::expected<std::string, std::string> ScorerProcess::exchange(const std::string& line,
                                                               std::chrono::milliseconds timeout) {
  if (m_pid == 0) {
    if (auto started = start(); !started) {
      return tl::unexpected(started.error());
    }
  } else if (has_unasked_output()) {
    kill_now();
    return tl::unexpected(fmt::format(
        "the scorer '{}' wrote more than one line for a request and was stopped", name()));
  }
  const auto deadline = Clock::now() + timeout;
  const std::string message = line + "\n";
  for (std::size_t sent = 0; sent < message.size();) {
    pollfd ready{m_fd, POLLOUT, 0};
    if (::poll(&ready, 1, remaining_ms(deadline)) <= 0) {
      kill_now();
      return tl::unexpected(
          fmt::format("the scorer read no input within {} ms and was stopped", timeout.count()));
    }
    const ssize_t n =
        ::send(m_fd, message.data() + sent, message.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return tl::unexpected(fmt::format("the scorer {}", exit_description()));
    }
    sent += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  return read_reply(timeout, deadline);
}

tl::expected<std::string, std::string> ScorerProcess::read_reply(
    std::chrono::milliseconds timeout, std::chrono::steady_clock::time_point deadline) {
  std::size_t searched = 0;  // m_buffer holds no line end before this
  while (true) {
    const std::size_t newline = m_buffer.find('\n', searched);
    const std::size_t length = newline == std::string::npos ? m_buffer.size() : newline;
    // Checked as it arrives: a scorer flooding its stdout costs at most the limit.
    if (length > m_max_reply_bytes) {
      kill_now();
      return tl::unexpected(fmt::format(
          "the scorer '{}' wrote more than {} bytes without ending its reply line and was "
          "stopped",
          name(), m_max_reply_bytes));
    }
    if (newline != std::string::npos) {
      std::string reply = m_buffer.substr(0, newline);
      m_buffer.erase(0, newline + 1);
      if (!reply.empty() && reply.back() == '\r') {
        reply.pop_back();
      }
      return reply;
    }
    searched = m_buffer.size();
    pollfd ready{m_fd, POLLIN, 0};
    const int polled = ::poll(&ready, 1, remaining_ms(deadline));
    if (polled < 0 && errno == EINTR) {
      continue;
    }
    if (polled <= 0) {
      kill_now();
      return tl::unexpected(
          fmt::format("the scorer gave no reply within {} ms and was stopped", timeout.count()));
    }
    char chunk[65536];
    const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n <= 0) {
      return tl::unexpected(fmt::format("the scorer {} before replying", exit_description()));
    }
    m_buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

tl::expected<ScorerReply, std::string> parse_scorer_reply(const std::string& reply) {
  // The reply's `reason` goes into the report as it is: bounded like a dataset row, since
  // writing and reading a deeper value would recurse past the stack.
  if (util::find_nesting_beyond(reply, util::kMaxNestingDepth)) {
    return tl::unexpected(
        fmt::format("the scorer's reply nests deeper than {} levels", util::kMaxNestingDepth));
  }
  const nlohmann::json parsed = nlohmann::json::parse(reply, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return tl::unexpected(
        fmt::format("the scorer's reply is not a JSON object: '{}'", quoted_reply(reply)));
  }
  const auto score = parsed.find("score");
  if (score == parsed.end() || !score->is_number() || !std::isfinite(score->get<double>())) {
    return tl::unexpected(
        fmt::format("the scorer's reply has no numeric 'score': '{}'", quoted_reply(reply)));
  }
  ScorerReply result;
  result.score = score->get<double>();
  if (const auto pass = parsed.find("pass"); pass != parsed.end() && !pass->is_null()) {
    if (!pass->is_boolean()) {
      return tl::unexpected(
          fmt::format("the scorer's 'pass' is not true or false: '{}'", quoted_reply(reply)));
    }
    result.pass = pass->get<bool>();
  }
  if (const auto reason = parsed.find("reason"); reason != parsed.end() && !reason->is_null()) {
    result.reason = *reason;
  }
  return result;
}

}  // namespace promptbench
