// SPDX-License-Identifier: Apache-2.0
// Tests of the rouge metric and the LCS behind ROUGE-L, against rouge-score's own tests.
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "metric/lcs.hpp"
#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::param_error;
using testing::value_of;

/// rouge-score's scorer.score(target, prediction)[type].fmeasure: the reference is the
/// target, the output the prediction.
double rouge(const std::string& type, const std::string& output, const json& reference) {
  return value_of("rouge", {{"type", type}}, output, reference);
}

// All expected values below: google-research rouge/rouge_scorer_test.py.
TEST(Rouge, MatchesRougeScoreRouge1) {  // testRouge1
  EXPECT_DOUBLE_EQ(rouge("rouge1", "testing", "testing one two"), 1.0 / 2);
}

TEST(Rouge, MatchesRougeScoreRouge2) {  // testRouge2
  EXPECT_DOUBLE_EQ(rouge("rouge2", "testing one", "testing one two"), 2.0 / 3);
}

TEST(Rouge, MatchesRougeScoreRougeLConsecutive) {  // testRougeLConsecutive
  EXPECT_DOUBLE_EQ(rouge("rougeL", "testing one", "testing one two"), 4.0 / 5);
}

TEST(Rouge, MatchesRougeScoreRougeLNonConsecutive) {  // testRougeLNonConsecutive
  EXPECT_DOUBLE_EQ(rouge("rougeL", "testing two", "testing one two"), 4.0 / 5);
}

TEST(Rouge, ScoresZeroForAnEmptyOutput) {  // testRougeEmpty
  for (const char* type : {"rouge1", "rouge2", "rougeL"}) {
    EXPECT_EQ(rouge(type, "", "testing one two"), 0.0) << type;
  }
}

TEST(Rouge, ScoresZeroForAnOutputOfOnlyNonWordCharacters) {  // testRougeLsum, "/"
  EXPECT_EQ(rouge("rougeL", "/", "w1 w2 w3 w4 w5"), 0.0);
}

TEST(Rouge, DefaultsToRougeL) {
  EXPECT_DOUBLE_EQ(value_of("rouge", json::object(), "testing two", "testing one two"), 4.0 / 5);
}

// By hand, from rouge-score's tokenizer: lower-case, every character outside [a-z0-9]
// separates tokens -- so "Don't" is "don" "t" and "café" is "caf" (é is dropped).
// "Don't STOP, café!" -> [don, t, stop, caf]; "don t stop cafe" -> [don, t, stop, cafe];
// rouge1 overlap 3 of 4 each way: F = 3/4.
TEST(Rouge, TokenizesLikeRougeScore) {
  EXPECT_DOUBLE_EQ(rouge("rouge1", "Don't STOP, café!", "don t stop cafe"), 3.0 / 4);
  EXPECT_EQ(rouge("rouge1", "école", "cole"), 1.0);
  EXPECT_EQ(rouge("rouge1", "日本語", "日本語"), 0.0);  // no token at all
}

// rouge-score's score_multi keeps the reference with the best F-measure.
TEST(Rouge, TakesTheBestReference) {
  EXPECT_EQ(rouge("rouge1", "testing one two", json::array({"nothing", "testing one two"})), 1.0);
}

// By hand: target "a b a" vs prediction "a a": rouge1 overlap = min(2,2) for a = 2,
// P = 2/2, R = 2/3, F = 2*(2/3)/(5/3) = 4/5; rouge2: bigrams {ab, ba} vs {aa}: 0.
TEST(Rouge, ClipsRepeatedNgrams) {
  EXPECT_DOUBLE_EQ(rouge("rouge1", "a a", "a b a"), 4.0 / 5);
  EXPECT_EQ(rouge("rouge2", "a a", "a b a"), 0.0);
}

// rouge_scorer_test.py testLcsTable: LCS of [1,2,3,4,5] and [2,5,3,4] is 3; with [8,9] 0.
TEST(Lcs, MatchesRougeScoresLcsTable) {
  EXPECT_EQ(lcs_length({1, 2, 3, 4, 5}, {2, 5, 3, 4}), 3u);
  EXPECT_EQ(lcs_length({1, 2, 3, 4, 5}, {8, 9}), 0u);
  EXPECT_EQ(lcs_length({}, {8, 9}), 0u);
}

std::size_t naive_lcs(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  std::vector<std::vector<std::size_t>> table(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      table[i][j] = a[i - 1] == b[j - 1] ? table[i - 1][j - 1] + 1
                                         : std::max(table[i - 1][j], table[i][j - 1]);
    }
  }
  return table[a.size()][b.size()];
}

TEST(Lcs, AgreesWithTheTextbookTableAcrossWordBoundaries) {
  std::mt19937 random(12345);
  for (int round = 0; round < 300; ++round) {
    std::uniform_int_distribution<std::size_t> length(0, 300);
    // Small alphabets make dense tokens (precomputed masks), large ones sparse tokens.
    std::uniform_int_distribution<std::uint32_t> token(0, round % 2 == 0 ? 3 : 200);
    std::vector<std::uint32_t> a(length(random));
    std::vector<std::uint32_t> b(length(random));
    for (auto& t : a) {
      t = token(random);
    }
    for (auto& t : b) {
      t = token(random);
    }
    ASSERT_EQ(lcs_length(a, b), naive_lcs(a, b)) << "round " << round;
  }
}

TEST(Rouge, ScoresTwoHundredThousandWordTextsQuickly) {
  std::string output;
  std::string reference;
  for (int i = 0; i < 100000; ++i) {
    output += "w" + std::to_string(i % 5000) + " ";
    reference += "w" + std::to_string((i * 7) % 5000) + " ";
  }
  const auto start = std::chrono::steady_clock::now();
  const double value = rouge("rougeL", output, reference);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(value, 0.0);
  EXPECT_LE(value, 1.0);
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(Rouge, RejectsAnUnknownType) {
  EXPECT_EQ(param_error("rouge", {{"type", "rougeLsum"}}),
            "type: expected rouge1, rouge2 or rougeL, got 'rougeLsum' (did you mean 'rougeL'?)");
  EXPECT_EQ(param_error("rouge", {{"use_stemmer", true}}),
            "use_stemmer: unknown parameter 'use_stemmer'");
}

}  // namespace
}  // namespace promptbench
