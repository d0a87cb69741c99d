// SPDX-License-Identifier: Apache-2.0
// Bounds on what a user's files may ask of promptbench, so that hostile or broken input
// (a value nested 20,000 deep, a YAML "billion laughs") ends in a located error instead
// of a stack overflow or an hour of swapping. The README (Config) documents each one.
#pragma once

#include <cstddef>

namespace promptbench::util {

/// Lists and mappings nested inside each other, in a config or a dataset row. Deeper
/// values are refused where they are read; everything after that may recurse freely.
inline constexpr std::size_t kMaxNestingDepth = 100;

/// Bytes of a config file or a prompt template file.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{16} << 20;

/// Values (scalars, lists, mappings, keys) in a config once YAML aliases are expanded:
/// a few lines of aliases can otherwise stand for billions of values.
inline constexpr std::size_t kMaxConfigValues = 100'000;

/// Bytes of one reply line from an external scorer (the `command` metric): a scorer that
/// writes more without a line end is stopped, and that case is an error.
inline constexpr std::size_t kMaxScorerReplyBytes = std::size_t{16} << 20;

// A dataset row's bound is the config's `dataset.max_row_bytes` (kDefaultMaxRowBytes in
// promptbench/config.hpp); a response's is a provider's `max_response_bytes`.

}  // namespace promptbench::util
