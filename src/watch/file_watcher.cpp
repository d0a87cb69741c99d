// SPDX-License-Identifier: Apache-2.0
// FileWatcher: inotify on the watched files' directories, filtered by entry name, with a
// burst of events (an editor writes, renames, sets attributes) settled into one change.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

#include "promptbench/watch.hpp"

namespace promptbench {

namespace {

using Clock = std::chrono::steady_clock;

/// Everything that can change what a run reads: a write (and its close), a file renamed or
/// created over the old one, a removal, a chmod (a scorer made executable).
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |
                                IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

/// The directory to watch for `file` and the entry name that stands for it there: its own
/// directory, else the nearest existing ancestor and the name of the missing child.
std::pair<std::filesystem::path, std::string> watch_point(const std::filesystem::path& file) {
  std::error_code error;
  const std::filesystem::path full = std::filesystem::absolute(file, error).lexically_normal();
  std::filesystem::path directory = full.parent_path();
  std::string name = full.filename().string();
  while (!std::filesystem::is_directory(directory, error) && directory != directory.parent_path()) {
    name = directory.filename().string();
    directory = directory.parent_path();
  }
  return {directory, name};
}

/// Milliseconds from now until `deadline` for poll(), never negative.
int poll_timeout(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

void add_unique(std::vector<std::filesystem::path>& list,
                const std::vector<std::filesystem::path>& items) {
  for (const auto& item : items) {
    if (std::find(list.begin(), list.end(), item) == list.end()) {
      list.push_back(item);
    }
  }
}

}  // namespace

FileWatcher::FileWatcher() : m_fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (m_fd < 0) {
    throw std::system_error(errno, std::generic_category(), "inotify_init1");
  }
}

FileWatcher::~FileWatcher() {
  ::close(m_fd);
}

std::vector<std::filesystem::path> FileWatcher::watch(
    const std::vector<std::filesystem::path>& files) {
  std::unordered_map<int, Directory> wanted;
  std::vector<std::filesystem::path> skipped;
  for (const auto& file : files) {
    const auto [directory, name] = watch_point(file);
    // The same directory (or one inode under two names) gets the same descriptor again.
    const int wd = inotify_add_watch(m_fd, directory.c_str(), kMask);
    if (wd < 0) {
      add_unique(skipped, {directory});
      continue;
    }
    Directory& entry = wanted[wd];
    entry.path = directory;
    entry.names[name].push_back(file);
  }
  for (const auto& [wd, directory] : m_directories) {
    if (!wanted.contains(wd)) {
      inotify_rm_watch(m_fd, wd);  // fails harmlessly when the kernel already dropped it
    }
  }
  m_directories = std::move(wanted);
  m_files = files;
  return skipped;
}

bool FileWatcher::drain(std::vector<std::filesystem::path>& changed) {
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
  bool relevant = false;
  for (;;) {
    const ssize_t length = ::read(m_fd, buffer.data(), buffer.size());
    if (length <= 0) {
      return relevant;  // EAGAIN: nothing more queued
    }
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        add_unique(changed, m_files);  // events were lost: anything may have changed
        relevant = true;
        continue;
      }
      const auto directory = m_directories.find(event->wd);
      if (directory == m_directories.end()) {
        continue;  // a directory no longer watched
      }
      if ((event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
        // The directory itself went away: every file in it changed.
        for (const auto& [name, files] : directory->second.names) {
          add_unique(changed, files);
        }
        relevant = true;
        continue;
      }
      if (event->len == 0) {
        continue;
      }
      const auto named = directory->second.names.find(event->name);
      if (named != directory->second.names.end()) {
        add_unique(changed, named->second);
        relevant = true;
      }
    }
  }
}

WaitResult FileWatcher::wait(const WaitSettings& settings) {
  std::array<pollfd, 2> fds{{{m_fd, POLLIN, 0}, {settings.stop_fd, POLLIN, 0}}};
  const nfds_t count = settings.stop_fd >= 0 ? 2 : 1;
  const auto start = Clock::now();
  WaitResult result;
  std::optional<Clock::time_point> burst_start;
  Clock::time_point quiet_until{};
  for (;;) {
    // Before the first event: the caller's timeout. In a burst: until it has been quiet for
    // `settle`, but no longer than `max_settle` after it began.
    Clock::time_point deadline = Clock::time_point::max();
    if (burst_start) {
      deadline = std::min(quiet_until, *burst_start + settings.max_settle);
    } else if (settings.timeout) {
      deadline = start + *settings.timeout;
    }
    const int timeout = deadline == Clock::time_point::max() ? -1 : poll_timeout(deadline);
    const int ready = ::poll(fds.data(), count, timeout);
    if (ready < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (count == 2 && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
      result.outcome = WaitResult::Outcome::stopped;
      result.changed.clear();
      return result;
    }
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      if (drain(result.changed)) {
        // Any event on a watched name (even one already counted) keeps the burst going;
        // events on other entries of the directory (a report being written) do not.
        burst_start = burst_start.value_or(Clock::now());
        quiet_until = Clock::now() + settings.settle;
      }
      continue;
    }
    if (ready == 0 || ready < 0) {  // a timeout (or a signal: look again)
      if (burst_start && Clock::now() >= deadline) {
        result.outcome = WaitResult::Outcome::changed;
        return result;
      }
      if (!burst_start && settings.timeout && Clock::now() >= deadline) {
        result.outcome = WaitResult::Outcome::timed_out;
        return result;
      }
    }
  }
}

}  // namespace promptbench
