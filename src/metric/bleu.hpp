// SPDX-License-Identifier: Apache-2.0
// BLEU as sacrebleu 2.x computes it (tokenizer 13a, order 4, exp smoothing), with sufficient
// statistics that add up across cases, so the runner can report corpus BLEU per variant.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace promptbench {

inline constexpr int kBleuMaxOrder = 4;

/// One segment's BLEU statistics; summing them over the cases of a variant (+=) gives the
/// corpus statistics, exactly as sacrebleu sums its per-segment lists.
struct BleuStatistics {
  std::array<std::int64_t, kBleuMaxOrder> matches{};  ///< clipped n-gram matches, n = 1..4
  std::array<std::int64_t, kBleuMaxOrder> totals{};   ///< hypothesis n-grams, n = 1..4
  std::int64_t hypothesis_length = 0;                 ///< tokens
  std::int64_t reference_length = 0;  ///< tokens of the closest reference (ties: shorter)

  BleuStatistics& operator+=(const BleuStatistics& other);
  bool operator==(const BleuStatistics&) const = default;
};

/// The statistics as numbers, for a report: hypothesis and reference length, then the
/// matches and the totals of n = 1..4 (10 numbers).
[[nodiscard]] std::vector<double> to_numbers(const BleuStatistics& statistics);
/// The inverse of to_numbers; nullopt unless `numbers` has 10 non-negative whole entries.
[[nodiscard]] std::optional<BleuStatistics> bleu_statistics_from(std::span<const double> numbers);

/// sacrebleu's 13a tokenizer (mteval-v13a normalisation) after its rstrip; tokens joined by
/// single spaces.
[[nodiscard]] std::string tokenize_13a(std::string_view line);

/// The statistics of `hypothesis` against its references (untokenized text; tokenized here
/// with 13a). No references: every count is 0 except the hypothesis ones.
[[nodiscard]] BleuStatistics bleu_statistics(std::string_view hypothesis,
                                             const std::vector<std::string>& references);

/// sacrebleu.corpus_bleu(...).score from summed statistics: 0..100, exp smoothing, no
/// effective order (an order without hypothesis n-grams makes the score 0).
[[nodiscard]] double corpus_bleu(const BleuStatistics& statistics);

/// sacrebleu.sentence_bleu(...).score: 0..100, exp smoothing, effective order on.
[[nodiscard]] double sentence_bleu(const BleuStatistics& statistics);

}  // namespace promptbench
