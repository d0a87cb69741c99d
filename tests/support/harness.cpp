// SPDX-License-Identifier: Apache-2.0
// Implementation of the integration-test harness: fork/execve with pipes drained by poll(),
// the stub server wrapper and temp directories (the HTTP client is in http_client.cpp).

#include "support/harness.hpp"
#include "support/posix.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace promptbench::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> build_environment(const RunOptions& options) {
  const auto overridden = [&options](const std::string& entry) {
    const std::string name = entry.substr(0, entry.find('='));
    return std::find(options.unset_env.begin(), options.unset_env.end(), name) !=
               options.unset_env.end() ||
           std::any_of(options.env.begin(), options.env.end(),
                       [&name](const auto& pair) { return pair.first == name; });
  };
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!overridden(*entry)) {
      env.emplace_back(*entry);
    }
  }
  for (const auto& [name, value] : options.env) {
    env.push_back(name + "=" + value);
  }
  return env;
}

// Resolved before fork() because execvp() is not async-signal-safe.
std::string resolve_program(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) {
      path = entry.substr(5);
    }
  }
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) {
      return candidate;
    }
  }
  throw std::runtime_error("cannot find program '" + program + "' in PATH");
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw system_failure("pipe2", errno);
  }
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ChildProcess
// ---------------------------------------------------------------------------------------------

struct ChildProcess::State {
  pid_t pid = -1;
  bool reaped = false;
  int status = 0;
  std::chrono::milliseconds timeout = kDefaultProcessTimeout;
  std::string description;  // argv[0], for failure messages

  int out_fd = -1;
  int err_fd = -1;
  int in_fd = -1;
  int wake_read = -1;  // the reader thread stops when this becomes readable
  int wake_write = -1;
  std::string stdin_text;
  std::size_t stdin_written = 0;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::string out;
  std::string err;
  bool out_eof = false;
  bool err_eof = false;
  std::thread reader;
  std::optional<ProcessResult> result;

  ~State() {
    close_fd(out_fd);
    close_fd(err_fd);
    close_fd(in_fd);
    close_fd(wake_read);
    close_fd(wake_write);
  }

  // Drains stdout/stderr and feeds stdin until both outputs reach EOF or a wake-up arrives.
  void read_loop() {
    // A write to a child that closed its stdin raises SIGPIPE; blocked here, write() just
    // fails with EPIPE and the signal stays pending on this thread, discarded when it ends.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    char buffer[65536];
    while (out_fd >= 0 || err_fd >= 0) {
      std::vector<pollfd> fds;
      fds.push_back({wake_read, POLLIN, 0});
      if (out_fd >= 0) {
        fds.push_back({out_fd, POLLIN, 0});
      }
      if (err_fd >= 0) {
        fds.push_back({err_fd, POLLIN, 0});
      }
      if (in_fd >= 0) {
        fds.push_back({in_fd, POLLOUT, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) {
          continue;
        }
        break;
      }
      if (fds[0].revents != 0) {
        break;
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) {
          continue;
        }
        if (fds[i].fd == in_fd) {
          feed_stdin();
          continue;
        }
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
          continue;
        }
        std::lock_guard lock(mutex);
        const bool is_out = fds[i].fd == out_fd;
        if (n > 0) {
          (is_out ? out : err).append(buffer, static_cast<std::size_t>(n));
        } else {
          close_fd(is_out ? out_fd : err_fd);
          (is_out ? out_eof : err_eof) = true;
        }
        changed.notify_all();
      }
    }
    std::lock_guard lock(mutex);
    out_eof = err_eof = true;
    changed.notify_all();
  }

  void feed_stdin() {
    const ssize_t n =
        ::write(in_fd, stdin_text.data() + stdin_written, stdin_text.size() - stdin_written);
    if (n > 0) {
      stdin_written += static_cast<std::size_t>(n);
    }
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || stdin_written == stdin_text.size()) {
      close_fd(in_fd);
    }
  }

  bool try_reap() {
    if (reaped) {
      return true;
    }
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      reaped = true;
    }
    return reaped;
  }

  void reap_blocking() {
    while (!reaped) {
      const pid_t r = ::waitpid(pid, &status, 0);
      if (r == pid || (r < 0 && errno != EINTR)) {
        reaped = true;
      }
    }
  }

  // After exit: give the pipes a moment to reach EOF (a grandchild may hold them open), then
  // stop the reader and build the result.
  ProcessResult finish(bool timed_out) {
    if (result) {
      return *result;
    }
    {
      std::unique_lock lock(mutex);
      changed.wait_for(lock, std::chrono::seconds(2), [this] { return out_eof && err_eof; });
    }
    const char byte = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(wake_write, &byte, 1);
    if (reader.joinable()) {
      reader.join();
    }
    std::lock_guard lock(mutex);
    result = ProcessResult{decode_status(status), out, err, timed_out};
    return *result;
  }
};

ChildProcess::ChildProcess() = default;

ChildProcess::~ChildProcess() {
  if (!m_state) {
    return;
  }
  if (!m_state->try_reap()) {
    ::kill(m_state->pid, SIGKILL);
    m_state->reap_blocking();
  }
  m_state->finish(false);
}

void ChildProcess::start(const std::vector<std::string>& argv, const RunOptions& options) {
  if (m_state) {
    throw std::runtime_error("ChildProcess::start called twice");
  }
  if (argv.empty()) {
    throw std::runtime_error("ChildProcess::start: empty argv");
  }
  auto state = std::make_unique<State>();
  state->timeout = options.timeout;
  state->description = argv[0];
  std::vector<std::string> env = build_environment(options);
  std::string program = resolve_program(argv[0], env);
  std::vector<std::string> args = argv;
  std::vector<char*> c_args = c_strings(args);
  std::vector<char*> c_env = c_strings(env);
  const char* working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();

  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  int wake_pipe[2];
  int exec_pipe[2];  // CLOEXEC: EOF means execve succeeded, an int means it failed
  make_pipe(in_pipe);
  make_pipe(out_pipe);
  make_pipe(err_pipe);
  make_pipe(wake_pipe);
  make_pipe(exec_pipe);

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    for (int* p : {in_pipe, out_pipe, err_pipe, wake_pipe, exec_pipe}) {
      ::close(p[0]);
      ::close(p[1]);
    }
    throw system_failure("fork", error);
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to execve.
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (working_dir == nullptr || ::chdir(working_dir) == 0) {
      ::execve(program.c_str(), c_args.data(), c_env.data());
    }
    const int error = errno;
    [[maybe_unused]] const ssize_t ignored = ::write(exec_pipe[1], &error, sizeof(error));
    ::_exit(127);
  }

  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);
  state->pid = pid;
  state->in_fd = in_pipe[1];
  state->out_fd = out_pipe[0];
  state->err_fd = err_pipe[0];
  state->wake_read = wake_pipe[0];
  state->wake_write = wake_pipe[1];

  int exec_error = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_pipe[0], &exec_error, sizeof(exec_error));
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n > 0) {
    state->reap_blocking();
    throw system_failure(
        "cannot start " + program + (working_dir ? " in " + options.working_dir : ""), exec_error);
  }

  if (options.stdin_text && !options.stdin_text->empty()) {
    state->stdin_text = *options.stdin_text;
    ::fcntl(state->in_fd, F_SETFL, ::fcntl(state->in_fd, F_GETFL) | O_NONBLOCK);
  } else {
    close_fd(state->in_fd);
  }
  State* raw = state.get();
  state->reader = std::thread([raw] { raw->read_loop(); });
  m_state = std::move(state);
}

pid_t ChildProcess::pid() const {
  return m_state ? m_state->pid : -1;
}

bool ChildProcess::is_running() {
  return m_state && !m_state->try_reap();
}

// Until this object reaps the child its PID cannot be reused, so signalling an unreaped
// child (even a zombie) can only reach the process we started.
bool ChildProcess::send_signal(int signal_number) {
  if (!is_running()) {
    return false;
  }
  return ::kill(m_state->pid, signal_number) == 0;
}

std::optional<ProcessResult> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (!m_state) {
    throw std::runtime_error("ChildProcess::wait_for before start");
  }
  const auto deadline = Clock::now() + timeout;
  while (!m_state->try_reap()) {
    const auto now = Clock::now();
    if (now >= deadline) {
      return std::nullopt;
    }
    // Pipe EOF usually coincides with exit; otherwise re-check every 10 ms.
    std::unique_lock lock(m_state->mutex);
    m_state->changed.wait_for(
        lock, std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(10)));
  }
  return m_state->finish(false);
}

ProcessResult ChildProcess::wait() {
  if (auto result = wait_for(m_state ? m_state->timeout : kDefaultProcessTimeout)) {
    return *result;
  }
  ::kill(m_state->pid, SIGKILL);
  m_state->reap_blocking();
  ADD_FAILURE() << m_state->description << " did not exit within " << m_state->timeout.count()
                << " ms and was killed";
  return m_state->finish(true);
}

std::string ChildProcess::out_so_far() const {
  if (!m_state) {
    return {};
  }
  std::lock_guard lock(m_state->mutex);
  return m_state->out;
}

std::string ChildProcess::err_so_far() const {
  if (!m_state) {
    return {};
  }
  std::lock_guard lock(m_state->mutex);
  return m_state->err;
}

bool ChildProcess::wait_for_out(const std::string& needle, std::chrono::milliseconds timeout) {
  if (!m_state) {
    return false;
  }
  std::unique_lock lock(m_state->mutex);
  return m_state->changed.wait_for(lock, timeout, [this, &needle] {
    return m_state->out.find(needle) != std::string::npos || m_state->out_eof;
  }) && m_state->out.find(needle) != std::string::npos;
}

ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  ChildProcess child;
  child.start(argv, options);
  return child.wait();
}

// ---------------------------------------------------------------------------------------------
// StubServer
// ---------------------------------------------------------------------------------------------

StubServer::StubServer(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {stub_bin(), "--port", "0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  m_process.start(argv);
  m_process.wait_for_out("\n", std::chrono::seconds(10));
  std::smatch match;
  const std::string out = m_process.out_so_far();
  if (!std::regex_search(out, match, std::regex(R"(listening on 127\.0\.0\.1:(\d+)\n)"))) {
    m_process.send_signal(SIGKILL);
    const ProcessResult result = m_process.wait();
    throw std::runtime_error("promptbench-stub did not start (exit " +
                             std::to_string(result.exit_code) + "); stdout: " + result.out +
                             " stderr: " + result.err);
  }
  m_port = std::stoi(match[1]);
}

// A stub that was still running must exit 0 on SIGTERM; anything else (a sanitizer report,
// a crash during shutdown) fails the test that owned it.
StubServer::~StubServer() {
  const bool was_running = m_process.is_running();
  const ProcessResult result = stop();
  if (was_running && result.exit_code != 0) {
    ADD_FAILURE() << "promptbench-stub exited with " << result.exit_code << " on SIGTERM; stderr:\n"
                  << result.err;
  }
}

std::string StubServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(m_port) + "/v1";
}

nlohmann::json StubServer::stats() const {
  const HttpResponse response = http_request(m_port, "GET", "/stats");
  if (response.status != 200) {
    throw std::runtime_error("GET /stats answered " + std::to_string(response.status));
  }
  return nlohmann::json::parse(response.body);
}

void StubServer::reset() const {
  const HttpResponse response = http_request(m_port, "POST", "/reset");
  if (response.status != 200) {
    throw std::runtime_error("POST /reset answered " + std::to_string(response.status));
  }
}

ProcessResult StubServer::stop() {
  if (m_stopped) {
    return *m_stopped;
  }
  m_process.send_signal(SIGTERM);
  auto result = m_process.wait_for(std::chrono::seconds(5));
  if (!result) {
    m_process.send_signal(SIGKILL);
    result = m_process.wait();
  }
  m_stopped = result;
  return *result;
}

// ---------------------------------------------------------------------------------------------
// Files and paths
// ---------------------------------------------------------------------------------------------

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "promptbench-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw system_failure("mkdtemp " + pattern, errno);
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(m_path, ignored);
}

std::string TempDir::write(const std::string& relative, const std::string& content) const {
  const std::filesystem::path target = m_path / relative;
  std::filesystem::create_directories(target.parent_path());
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + target.string());
  }
  return target.string();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> values;
  if (!std::filesystem::exists(path)) {
    return values;
  }
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) {
      values.push_back(nlohmann::json::parse(line));
    }
  }
  return values;
}

ProcessResult promptbench(const TempDir& dir, const std::vector<std::string>& args,
                          RunOptions options) {
  std::vector<std::string> argv = {promptbench_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  options.working_dir = dir.path().string();
  options.unset_env.push_back("NO_COLOR");
  if (options.timeout == kDefaultProcessTimeout) {
    options.timeout = std::chrono::seconds(60);
  }
  return run_process(argv, options);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::string promptbench_bin() {
  return PROMPTBENCH_BIN;
}
std::string stub_bin() {
  return PROMPTBENCH_STUB_BIN;
}
std::string source_dir() {
  return PROMPTBENCH_SOURCE_DIR;
}

}  // namespace promptbench::testing
