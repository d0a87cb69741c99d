// SPDX-License-Identifier: Apache-2.0
#include "engine/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace promptbench {

OpenFileFit fit_open_files(int wanted, std::size_t soft, std::size_t hard) {
  OpenFileFit fit;
  fit.needed = static_cast<std::size_t>(std::max(wanted, 1)) + kFilesBesideConnections;
  fit.hard = hard;
  fit.limit = soft;
  if (soft < fit.needed && hard > soft) {
    // Twice what is needed, for the sockets libcurl is closing while it opens others.
    fit.limit = std::min(hard, fit.needed * 2);
    fit.raised = true;
  }
  const std::size_t room =
      fit.limit > kFilesBesideConnections ? fit.limit - kFilesBesideConnections : 1;
  fit.concurrency = static_cast<int>(std::min<std::size_t>(
      static_cast<std::size_t>(std::max(wanted, 1)), std::max<std::size_t>(room, 1)));
  return fit;
}

OpenFileFit fit_open_files(int wanted) {
  const auto as_size = [](rlim_t value) {
    return value == RLIM_INFINITY ? std::numeric_limits<std::size_t>::max()
                                  : static_cast<std::size_t>(value);
  };
  rlimit limits{};
  if (::getrlimit(RLIMIT_NOFILE, &limits) != 0) {
    const std::size_t unknown = std::numeric_limits<std::size_t>::max();
    return fit_open_files(wanted, unknown, unknown);
  }
  const std::size_t soft = as_size(limits.rlim_cur);
  const OpenFileFit fit = fit_open_files(wanted, soft, as_size(limits.rlim_max));
  if (fit.raised) {
    limits.rlim_cur = static_cast<rlim_t>(fit.limit);
    if (::setrlimit(RLIMIT_NOFILE, &limits) != 0) {
      return fit_open_files(wanted, soft, soft);  // as if the hard limit were the soft one
    }
  }
  return fit;
}

}  // namespace promptbench
