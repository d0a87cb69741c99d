// SPDX-License-Identifier: Apache-2.0
// Small POSIX helpers the test harness, the browser driver and the raw HTTP client share.
#pragma once

#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace promptbench::testing {

/// `what: <strerror(error)>` as an exception, for a failed system call.
inline std::runtime_error system_failure(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

/// Closes `fd` when it is open and marks it closed (-1).
inline void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace promptbench::testing
