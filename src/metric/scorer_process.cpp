// SPDX-License-Identifier: Apache-2.0
// The external scorer's process: spawned with posix_spawn on one end of a socket pair (its
// stdin and stdout), in its own process group so that Ctrl-C at the terminal reaches
// promptbench, which then finishes the cases in flight, rather than killing the scorer.
#include "metric/scorer_process.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

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

}  // namespace

ScorerProcess::ScorerProcess(std::vector<std::string> argv, std::filesystem::path cwd)
    : m_argv(std::move(argv)), m_cwd(std::move(cwd)) {}

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

tl::expected<std::string, std::string> ScorerProcess::exchange(const std::string& line,
                                                               std::chrono::milliseconds timeout) {
  if (m_pid == 0) {
    if (auto started = start(); !started) {
      return tl::unexpected(started.error());
    }
  }
  const auto deadline = Clock::now() + timeout;
  const std::string message = line + "\n";
  for (std::size_t sent = 0; sent < message.size();) {
    pollfd ready{m_fd, POLLOUT, 0};
    if (::poll(&ready, 1, remaining_ms(deadline)) <= 0) {
      ::kill(-m_pid, SIGKILL);  // the group: a shell scorer's children too
      (void)exit_description();
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
  while (true) {
    const std::size_t newline = m_buffer.find('\n');
    if (newline != std::string::npos) {
      std::string reply = m_buffer.substr(0, newline);
      m_buffer.erase(0, newline + 1);
      if (!reply.empty() && reply.back() == '\r') {
        reply.pop_back();
      }
      return reply;
    }
    pollfd ready{m_fd, POLLIN, 0};
    const int polled = ::poll(&ready, 1, remaining_ms(deadline));
    if (polled < 0 && errno == EINTR) {
      continue;
    }
    if (polled <= 0) {
      ::kill(-m_pid, SIGKILL);  // the group: a shell scorer's children too
      (void)exit_description();
      return tl::unexpected(
          fmt::format("the scorer gave no reply within {} ms and was stopped", timeout.count()));
    }
    char chunk[4096];
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

}  // namespace promptbench
