// SPDX-License-Identifier: Apache-2.0
// Length of the longest common subsequence of two token-id sequences, bit-parallel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace promptbench {

/// The LCS length of `a` and `b` (Hyyrö's bit-vector algorithm): O(|a|·|b|/64) time and
/// O(min(|a|,|b|)) memory, so two 100k-token texts take about 1.6e8 word operations.
/// Tokens of the longer sequence that do not occur in the shorter cost O(1).
[[nodiscard]] std::size_t lcs_length(const std::vector<std::uint32_t>& a,
                                     const std::vector<std::uint32_t>& b);

}  // namespace promptbench
