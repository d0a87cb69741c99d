// SPDX-License-Identifier: Apache-2.0
// Tests of the bleu metric and of the corpus BLEU statistics, against sacrebleu's own tests.
#include <chrono>

#include <gtest/gtest.h>

#include "metric/bleu.hpp"
#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::value_of;

double bleu(const std::string& output, const json& reference) {
  return value_of("bleu", json::object(), output, reference);
}

// sacrebleu test/test_sentence_bleu.py, "Example taken from #98", the case
// ('exp', None, False, '13a', 8.493) -- checked there to EPSILON = 1e-3.
TEST(Bleu, MatchesSacrebleuSentenceBleuWithExpSmoothing) {
  EXPECT_NEAR(bleu("Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
                   "producţia de zahăr brut se exprimă în zahăr alb;"),
              8.493, 1e-3);
}

// sacrebleu test/test_sentence_bleu.py, "Example taken from #141": no n-gram in common
// gives 0 whatever the smoothing.
TEST(Bleu, ScoresZeroWithNoCommonNgram) {
  EXPECT_EQ(bleu("this is a cat", "okay thanks"), 0.0);
}

// sacrebleu test/test_bleu.py test_case_effective_order: "test" against "a test" is 0.36788
// there (with floor smoothing, which never applies here). By hand, with effective order:
// unigram precision 1/1, no bigrams so the order stops at 1; BP = exp(1 - 2/1) = e^-1;
// score = 100 * e^-1 * 1 = 36.787944117144235.
TEST(Bleu, UsesTheEffectiveOrderForShortSentences) {
  EXPECT_NEAR(bleu("test", "a test"), 36.78794411714425, 1e-9);
  EXPECT_DOUBLE_EQ(bleu("a test", "a test"), 100.0);
}

TEST(Bleu, IsOnSacrebleusZeroToHundredScaleAndHigherIsBetter) {
  const auto metric = metric_named("bleu");
  EXPECT_TRUE(metric->higher_is_better());
  EXPECT_FALSE(metric->threshold().has_value());
  EXPECT_DOUBLE_EQ(bleu("The cat sat on the mat.", "The cat sat on the mat."), 100.0);
}

TEST(Bleu, ScoresZeroForAnEmptyOutputOrNoReference) {
  EXPECT_EQ(bleu("", "The cat sat on the mat."), 0.0);
  EXPECT_EQ(bleu("The cat", json::array()), 0.0);
  EXPECT_EQ(bleu("The cat", nullptr), 0.0);
}

// By hand: hypothesis "a b c d" against references "a b c d e f" (6 tokens) and "a b c"
// (3 tokens): both are 2 tokens away from 4, the tie goes to the shorter, 3 >= 4 so BP = 1
// and every n-gram matches the first reference: 100. Had 6 been chosen, BP = exp(1 - 6/4).
TEST(Bleu, BreaksReferenceLengthTiesTowardsTheShorter) {
  const BleuStatistics stats = bleu_statistics("a b c d", {"a b c d e f", "a b c"});
  EXPECT_EQ(stats.reference_length, 3);
  EXPECT_DOUBLE_EQ(bleu("a b c d", json::array({"a b c d e f", "a b c"})), 100.0);
}

// sacrebleu test/test_bleu.py test_case_statistics.
TEST(BleuStatistics, CountsClippedMatchesAndTotalsLikeSacrebleu) {
  const BleuStatistics stats =
      bleu_statistics("am I am a character sequence", {"I am a symbol string sequence a a"});
  EXPECT_EQ(stats.matches, (std::array<std::int64_t, 4>{4, 2, 1, 0}));
  EXPECT_EQ(stats.totals, (std::array<std::int64_t, 4>{6, 5, 4, 3}));
  EXPECT_EQ(stats.hypothesis_length, 6);
  EXPECT_EQ(stats.reference_length, 8);
}

// sacrebleu test/test_bleu.py test_case_scoring: ([9,7,5,3], [10,8,6,4]), 11, 11 ->
// 0.8375922397 (as a fraction; sacrebleu's score is 100 times that).
TEST(CorpusBleu, ComputesTheScoreFromSufficientStatistics) {
  BleuStatistics stats;
  stats.matches = {9, 7, 5, 3};
  stats.totals = {10, 8, 6, 4};
  stats.hypothesis_length = 11;
  stats.reference_length = 11;
  EXPECT_NEAR(corpus_bleu(stats), 83.75922397, 1e-8);
}

const std::vector<std::string> kHypotheses = {"The dog bit the man.", "It wasn't surprising.",
                                              "The man had just bitten him."};
const std::vector<std::vector<std::string>> kReferences = {
    {"The dog bit the man.", "The dog had bit the man."},
    {"It was not unexpected.", "No one was surprised."},
    {"The man bit him first.", "The man had bitten the dog."}};

// sacrebleu test/test_bleu.py test_corpus_bleu_cases, the README example with default
// settings: 48.530827 (checked there to 1e-8).
TEST(CorpusBleu, MatchesSacrebleuOnTheReadmeExample) {
  BleuStatistics corpus;
  for (std::size_t i = 0; i < kHypotheses.size(); ++i) {
    corpus += bleu_statistics(kHypotheses[i], kReferences[i]);
  }
  EXPECT_NEAR(corpus_bleu(corpus), 48.530827, 1e-6);
}

// sacrebleu test/test_bleu.py: "ensure that empty hypotheses are not removed" -> 0.0.
TEST(CorpusBleu, ScoresZeroForEmptyHypotheses) {
  BleuStatistics corpus;
  for (const auto& references : kReferences) {
    corpus += bleu_statistics("", references);
  }
  EXPECT_EQ(corpus_bleu(corpus), 0.0);
  EXPECT_EQ(corpus.hypothesis_length, 0);
  EXPECT_GT(corpus.reference_length, 0);
}

// Corpus BLEU is not the mean of sentence BLEUs: without effective order a corpus with no
// 4-gram at all scores 0 (sacrebleu's my_log(0) = -9999999999), a sentence does not.
TEST(CorpusBleu, HasNoEffectiveOrder) {
  const BleuStatistics stats = bleu_statistics("a test", {"a test"});
  EXPECT_DOUBLE_EQ(sentence_bleu(stats), 100.0);
  EXPECT_EQ(corpus_bleu(stats), 0.0);
}

// Expected strings derived by hand from the regexes of sacrebleu's tokenizer_13a.py and
// tokenizer_re.py.
TEST(Tokenize13a, SplitsPunctuationButNotNumbers) {
  EXPECT_EQ(tokenize_13a("Hello, world!"), "Hello , world !");
  EXPECT_EQ(tokenize_13a("It costs 3.14 or 1,000."), "It costs 3.14 or 1,000 .");
  EXPECT_EQ(tokenize_13a("pages 5-6"), "pages 5 - 6");
  EXPECT_EQ(tokenize_13a("it's a well-known (fact)"), "it's a well-known ( fact )");
  EXPECT_EQ(tokenize_13a("&quot;x&quot; &amp;&lt;&gt;"), "\" x \" & < >");
  EXPECT_EQ(tokenize_13a("line-\nbreak\nnext <skipped>  "), "linebreak next");
  EXPECT_EQ(tokenize_13a("a.b,c"), "a . b , c");
  EXPECT_EQ(tokenize_13a(""), "");
}

TEST(Tokenize13a, SplitsOnUnicodeWhitespaceLikePython) {
  EXPECT_EQ(tokenize_13a("zahăr\u00a0alb\u3000ok"), "zahăr alb ok");
}

TEST(Bleu, ScoresAHundredThousandWordOutputQuickly) {
  std::string output;
  for (int i = 0; i < 100000; ++i) {
    output += "word" + std::to_string(i % 1000) + " ";
  }
  const auto start = std::chrono::steady_clock::now();
  const double value = bleu(output, "word1 word2 word3 word4");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(value, 0.0);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(Bleu, RejectsParameters) {
  EXPECT_EQ(param_error("bleu", {{"tokenize", "intl"}}), "tokenize: unknown parameter 'tokenize'");
}

}  // namespace
}  // namespace promptbench
