// SPDX-License-Identifier: Apache-2.0
// Bit-parallel LCS length (H. Hyyrö, "Bit-parallel LCS-length computation revisited", 2004).
#include "metric/lcs.hpp"

#include <bit>
#include <unordered_map>

namespace promptbench {

std::size_t lcs_length(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  // The shorter sequence is the bit vector; the longer one is scanned token by token.
  const std::vector<std::uint32_t>& bits = a.size() <= b.size() ? a : b;
  const std::vector<std::uint32_t>& scanned = a.size() <= b.size() ? b : a;
  const std::size_t m = bits.size();
  if (m == 0) {
    return 0;
  }
  const std::size_t words = (m + 63) / 64;

  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> positions;
  for (std::size_t i = 0; i < m; ++i) {
    positions[bits[i]].push_back(static_cast<std::uint32_t>(i));
  }
  // A token occurring more than `words` times gets a precomputed match mask (at most 64
  // such tokens, so m words in all); rarer tokens have theirs set and cleared per step in
  // O(occurrences) <= O(words), which keeps every step O(words).
  std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> dense;
  for (const auto& [token, where] : positions) {
    if (where.size() > words) {
      std::vector<std::uint64_t>& mask = dense[token];
      mask.assign(words, 0);
      for (const std::uint32_t p : where) {
        mask[p / 64] |= std::uint64_t{1} << (p % 64);
      }
    }
  }

  std::vector<std::uint64_t> v(words, ~std::uint64_t{0});
  std::vector<std::uint64_t> scratch(words, 0);
  for (const std::uint32_t token : scanned) {
    const auto found = positions.find(token);
    if (found == positions.end()) {
      continue;  // no match anywhere: V' = (V + 0) | V = V
    }
    const auto dense_mask = dense.find(token);
    const bool sparse = dense_mask == dense.end();
    if (sparse) {
      for (const std::uint32_t p : found->second) {
        scratch[p / 64] |= std::uint64_t{1} << (p % 64);
      }
    }
    const std::uint64_t* mask = sparse ? scratch.data() : dense_mask->second.data();
    // V' = (V + (V & M)) | (V & ~M), one multi-word addition with carry.
    std::uint64_t carry = 0;
    for (std::size_t k = 0; k < words; ++k) {
      const std::uint64_t u = v[k] & mask[k];
      const std::uint64_t partial = v[k] + u;
      const std::uint64_t sum = partial + carry;
      carry = (partial < v[k] || sum < partial) ? 1 : 0;
      v[k] = sum | (v[k] & ~mask[k]);
    }
    if (sparse) {
      for (const std::uint32_t p : found->second) {
        scratch[p / 64] = 0;
      }
    }
  }

  std::size_t ones = 0;
  for (std::size_t k = 0; k < words; ++k) {
    std::uint64_t word = v[k];
    if (k == words - 1 && m % 64 != 0) {
      word &= (std::uint64_t{1} << (m % 64)) - 1;
    }
    ones += static_cast<std::size_t>(std::popcount(word));
  }
  return m - ones;
}

}  // namespace promptbench
