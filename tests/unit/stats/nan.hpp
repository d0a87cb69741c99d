// SPDX-License-Identifier: Apache-2.0
// The NaN the statistics tests expect where a statistic is undefined, declared once so that
// test files compiled together (a unity build) do not each define their own.
#pragma once

#include <limits>

namespace promptbench::test {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace promptbench::test
