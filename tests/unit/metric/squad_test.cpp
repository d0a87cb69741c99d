// SPDX-License-Identifier: Apache-2.0
// Tests of f1 and squad_em, whose expected values follow SQuAD v1.1's evaluate-v1.1.py.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::value_of;

double f1(const std::string& output, const json& reference) {
  return value_of("f1", json::object(), output, reference);
}

double em(const std::string& output, const json& reference) {
  return value_of("squad_em", json::object(), output, reference);
}

// evaluate-v1.1.py (https://rajpurkar.github.io/SQuAD-explorer/, "Evaluation Script v1.1"),
// by hand: normalize_answer("the Broncos") = "broncos", ("Denver Broncos") = "denver broncos";
// num_same = 1, precision = 1/1, recall = 1/2, F1 = 2 * 1 * 0.5 / 1.5 = 2/3.
TEST(SquadF1, ComputesTokenOverlapF1) {
  EXPECT_DOUBLE_EQ(f1("the Broncos", "Denver Broncos"), 2.0 / 3);
  EXPECT_EQ(em("the Broncos", "Denver Broncos"), 0.0);
}

// By hand: Counter("x x y") & Counter("x y y") = {x: 1, y: 1}, num_same = 2,
// P = R = 2/3, F1 = 2/3.
TEST(SquadF1, CountsRepeatedTokensWithCounterIntersection) {
  EXPECT_DOUBLE_EQ(f1("x x y", "x y y"), 2.0 / 3);
}

// normalize_answer: lower, drop string.punctuation, drop a/an/the as words, fix spaces.
TEST(SquadEm, NormalizesCasePunctuationArticlesAndSpaces) {
  EXPECT_EQ(em("The Eiffel  Tower!", "eiffel tower"), 1.0);
  EXPECT_EQ(em("an apple", "Apple."), 1.0);
  EXPECT_EQ(em("Theory", "the ory"), 0.0);  // "theory" is not the article "the"
  EXPECT_EQ(em("Denver's", "denvers"), 1.0);
  EXPECT_EQ(em("a-team", "ateam"), 1.0);  // punctuation goes before articles
}

TEST(SquadEm, StripsOnlyAsciiPunctuationLikePythonsStringPunctuation) {
  EXPECT_EQ(em("«Paris»", "Paris"), 0.0);
  EXPECT_EQ(em("Paris", "paris"), 1.0);
}

TEST(SquadEm, LowerCasesUnicodeLikePythonsStrLower) {
  EXPECT_EQ(em("ÉCOLE", "école"), 1.0);
  // Python's "ΟΔΟΣ".lower() is "οδος" with a final sigma.
  EXPECT_EQ(em("ΟΔΟΣ", "οδος"), 1.0);
  EXPECT_EQ(em("ΟΔΟΣ", "οδοσ"), 0.0);
  EXPECT_EQ(em("STRASSE", "straße"), 0.0);  // lower(), not casefold()
}

// Python's \b is Unicode-aware: "thé" is one word, so "the" is not removed from it; the
// article before "été" is.
TEST(SquadEm, UsesUnicodeWordBoundariesForArticles) {
  EXPECT_EQ(em("thé", "th"), 0.0);
  EXPECT_EQ(em("the été", "été"), 1.0);
}

TEST(SquadF1, TakesTheMaximumOverReferences) {
  EXPECT_EQ(f1("the Broncos", json::array({"Denver Broncos", "Broncos"})), 1.0);
  EXPECT_EQ(em("the Broncos", json::array({"Denver Broncos", "Broncos"})), 1.0);
}

// The script's quirk: f1_score returns 0 when num_same == 0, even for two empty answers,
// while exact_match_score("", "") is True.
TEST(SquadF1, ScoresZeroForEmptyAnswersWhereExactMatchScoresOne) {
  EXPECT_EQ(f1("", ""), 0.0);
  EXPECT_EQ(em("", ""), 1.0);
  EXPECT_EQ(f1("The", "a"), 0.0);  // both normalize to nothing
  EXPECT_EQ(em("The", "a"), 1.0);
  EXPECT_EQ(f1("", "Paris"), 0.0);
}

TEST(SquadF1, ScoresZeroWithoutReferences) {
  EXPECT_EQ(f1("Paris", json::array()), 0.0);
}

TEST(SquadEm, PassesAtOneByDefault) {
  EXPECT_EQ(metric_named("squad_em")->threshold(), 1.0);
  EXPECT_FALSE(metric_named("f1")->threshold().has_value());
}

TEST(SquadF1, RejectsParameters) {
  EXPECT_EQ(param_error("f1", {{"normalize", "lower"}}),
            "normalize: unknown parameter 'normalize'");
}

}  // namespace
}  // namespace promptbench
