// SPDX-License-Identifier: Apache-2.0
// `eval --watch`: the loop around eval's run. Each run uses the response cache, so after an
// edit only the requests whose bodies changed are sent. Between runs the only signal
// handler is ours, which wakes the wait through a self-pipe; during a run eval installs its
// own (a first Ctrl-C stops the run with a partial report, a second exits at once) and
// restores ours afterwards.
#include "cli/watch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <optional>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/verdict.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/error.hpp"
#include "promptbench/redact.hpp"
#include "promptbench/watch.hpp"

namespace promptbench::cli {

namespace {

/// File names listed in the "watching" line before "and N more".
constexpr std::size_t kNamesShown = 8;

std::atomic<bool> g_stop{false};
int g_stop_pipe = -1;  ///< the self-pipe's write end

extern "C" void on_stop_signal(int) {
  const int saved = errno;  // a handler must leave errno as it found it
  g_stop = true;
  const char byte = 1;
  const ssize_t ignored = ::write(g_stop_pipe, &byte, 1);
  (void)ignored;
  errno = saved;
}

/// SIGINT and SIGTERM, for the lifetime of the watch: set g_stop and make fd() readable.
class StopSignals {
 public:
  StopSignals() {
    if (::pipe2(m_pipe.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    g_stop_pipe = m_pipe[1];
    g_stop = false;
    struct sigaction action {};
    action.sa_handler = &on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &m_previous_int);
    sigaction(SIGTERM, &action, &m_previous_term);
  }
  ~StopSignals() {
    sigaction(SIGINT, &m_previous_int, nullptr);
    sigaction(SIGTERM, &m_previous_term, nullptr);
    g_stop_pipe = -1;
    ::close(m_pipe[0]);
    ::close(m_pipe[1]);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  [[nodiscard]] int fd() const { return m_pipe[0]; }
  [[nodiscard]] static bool requested() { return g_stop; }

 private:
  std::array<int, 2> m_pipe{-1, -1};
  struct sigaction m_previous_int {};
  struct sigaction m_previous_term {};
};

/// "a.yaml, prompts/x.txt and 3 more".
std::string names(const std::vector<std::filesystem::path>& files) {
  std::string text;
  for (std::size_t i = 0; i < files.size() && i < kNamesShown; ++i) {
    text += (i == 0 ? "" : ", ") + files[i].string();
  }
  if (files.size() > kNamesShown) {
    text += fmt::format(" and {} more", files.size() - kNamesShown);
  }
  return text;
}

void watch_files(FileWatcher& watcher, const std::vector<std::filesystem::path>& files) {
  for (const auto& directory : watcher.watch(files)) {
    std::cerr << redact(fmt::format(
        "promptbench: warning: cannot watch {} (permissions, or the inotify watch limit: "
        "fs.inotify.max_user_watches); edits there go unnoticed\n",
        directory.string()));
  }
}

}  // namespace

int watch_eval(const WatchOptions& options, const EvalOnce& run_once) {
  if (options.no_cache) {
    throw UserError(
        "--watch needs the response cache, which makes a re-run send only the requests an edit "
        "changed: drop --no-cache");
  }
  if (options.dry_run) {
    throw UserError("--watch runs the evaluation: drop --dry-run (or --watch)");
  }
  // Until a config loads, the config file alone; then everything the last one read. A config
  // broken by an edit keeps the previous set, so fixing any of its files runs again.
  std::vector<std::filesystem::path> files = {resolve_config_path(options.config)};
  StopSignals stop;
  FileWatcher watcher;
  std::optional<RunSnapshot> previous;
  for (;;) {
    watch_files(watcher, files);  // before the run, so an edit during it is not missed
    RunSnapshot snapshot;
    bool complete = false;
    RunObserver observer;
    observer.on_config = [&files](const Config& config) { files = watched_files(config); };
    observer.on_case = [&snapshot](const CaseRecord& record) { snapshot.add_case(record); };
    observer.on_summary = [&](const ReportSummary& summary) {
      snapshot.set_summary(summary);
      complete = summary.run.complete;
    };
    int code = kExitOk;
    try {
      code = run_once(observer);
    } catch (const std::exception& e) {
      // A bad edit (UserError, located) or a run that could not go on: say so, keep watching.
      print_error(e.what());
    }
    if (code == kExitInterrupted || StopSignals::requested()) {
      return kExitInterrupted;
    }
    // Changes are measured against the last run that completed: a broken config or a run
    // stopped by --max-errors is not a baseline.
    if (complete) {
      if (previous && !options.quiet) {
        std::ostringstream text;
        print_changes(text, changes_between(*previous, snapshot));
        std::cout << redact(text.str()) << std::flush;
      }
      previous = std::move(snapshot);
    }
    watch_files(watcher, files);
    std::cerr << redact(fmt::format("promptbench: watching {} file{} ({}); Ctrl-C to stop\n",
                                    files.size(), files.size() == 1 ? "" : "s", names(files)));
    WaitSettings settings;
    settings.stop_fd = stop.fd();
    const WaitResult waited = watcher.wait(settings);
    if (waited.outcome == WaitResult::Outcome::stopped) {
      std::cerr << "promptbench: stopped watching\n";
      return kExitInterrupted;
    }
    std::cerr << redact(
        fmt::format("promptbench: {} changed; running again\n", names(waited.changed)));
  }
}

}  // namespace promptbench::cli
