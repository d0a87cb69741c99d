// SPDX-License-Identifier: Apache-2.0
// Room for the connections a run opens at once. Each request in flight holds a socket, and
// the soft open-file limit is often 1,024: -j 10000 would otherwise fail mid-run with
// "Too many open files" instead of running, or saying at the start why it cannot.
#pragma once

#include <cstddef>

namespace promptbench {

/// Files kept free beside one socket per request in flight: stdio, the cache (its database,
/// WAL and shared memory), the report and samples files, an external scorer's socket,
/// libcurl's own wake-up pair and the sockets of connections it is closing.
inline constexpr std::size_t kFilesBesideConnections = 64;

struct OpenFileFit {
  int concurrency = 0;     ///< requests that may be in flight: the wanted number, or fewer
  std::size_t needed = 0;  ///< open files the wanted number takes
  std::size_t limit = 0;   ///< the soft limit now in force (after raising it)
  std::size_t hard = 0;    ///< the hard limit, which only root can raise
  bool raised = false;     ///< the soft limit was raised
  [[nodiscard]] bool clamped(int wanted) const { return concurrency < wanted; }
};

/// Makes room for `wanted` requests in flight: raises this process's soft RLIMIT_NOFILE
/// (never above the hard limit) when it is too low, and says how many fit if even the hard
/// limit is too low. Raising it costs nothing: the limit only bounds descriptor numbers, and
/// nothing here uses select().
[[nodiscard]] OpenFileFit fit_open_files(int wanted);

/// The same arithmetic on given limits, without touching the process (for tests).
[[nodiscard]] OpenFileFit fit_open_files(int wanted, std::size_t soft, std::size_t hard);

}  // namespace promptbench
