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

  /// Uniform in [0, n), n > 0, by Lemire's multiply-and-shift with rejection ("Fast random
  /// integer generation in an interval", ACM TOMACS 2019): m = x * n as a 128-bit product;
  /// while its low 64 bits are below 2^64 mod n, draw a new x; return the high 64 bits.
  /// Unbiased, and divides only when the low half is below n (rarely, for small n).
  std::uint64_t below(std::uint64_t n) {
    Product m = static_cast<Product>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (std::uint64_t{0} - n) % n;  // 2^64 mod n
      while (low < threshold) {
        m = static_cast<Product>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  __extension__ using Product = unsigned __int128;  // GCC and Clang; not ISO C++
  std::mt19937_64 m_engine;
};

}  // namespace promptbench::stats
