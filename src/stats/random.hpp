// SPDX-License-Identifier: Apache-2.0
// The specified random numbers of the resampling procedures (see ResampleOptions): the same
// sequence on every platform, unlike std::uniform_int_distribution.
#pragma once

#include <cstdint>
#include <random>

namespace promptbench::stats {

class SpecifiedRandom {
 public:
  explicit SpecifiedRandom(std::uint64_t seed) : m_engine(seed) {}

  /// The next raw 64-bit output of std::mt19937_64.
  std::uint64_t next() { return m_engine(); }

  /// Uniform in [0, n), n > 0: draws x until x >= 2^64 mod n, returns x mod n. The accepted
  /// range holds a whole multiple of n values, so every index is equally likely.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t threshold = (std::uint64_t{0} - n) % n;  // 2^64 mod n
    std::uint64_t x = next();
    while (x < threshold) {
      x = next();
    }
    return x % n;
  }

 private:
  std::mt19937_64 m_engine;
};

}  // namespace promptbench::stats
