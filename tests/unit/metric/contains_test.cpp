// SPDX-License-Identifier: Apache-2.0
// Tests of the contains metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::param_error;
using testing::value_of;

double contains(const std::string& output, const json& reference,
                const json& params = json::object()) {
  return value_of("contains", params, output, reference);
}

TEST(Contains, ScoresOneWhenTheReferenceOccursInTheOutput) {
  EXPECT_EQ(contains("The capital is Paris.", "Paris"), 1);
}

TEST(Contains, ScoresZeroWhenItDoesNot) {
  EXPECT_EQ(contains("The capital is Lyon.", "Paris"), 0);
}

TEST(Contains, IgnoresCaseByDefault) {
  EXPECT_EQ(contains("THE ANSWER IS POSITIVE", "positive"), 1);
  EXPECT_EQ(contains("c'est une ÉCOLE", "école"), 1);
}

TEST(Contains, IsCaseSensitiveWithoutLower) {
  EXPECT_EQ(contains("THE ANSWER IS POSITIVE", "positive", {{"normalize", {"trim"}}}), 0);
}

TEST(Contains, MatchesAnyReferenceInAList) {
  EXPECT_EQ(contains("I'd say NYC", json::array({"New York", "nyc"})), 1);
}

TEST(Contains, FindsNumberReferences) {
  EXPECT_EQ(contains("The answer is 42.", 42), 1);
}

TEST(Contains, IgnoresEmptyReferencesThatWouldMatchAnything) {
  EXPECT_EQ(contains("anything", ""), 0);
  EXPECT_EQ(contains("anything", json::array({" ", "thing"}), {{"normalize", "trim"}}), 1);
}

TEST(Contains, ScoresZeroForAnEmptyOutputOrNoReferences) {
  EXPECT_EQ(contains("", "Paris"), 0);
  EXPECT_EQ(contains("Paris", json::array()), 0);
}

TEST(Contains, MatchesAcrossPunctuationWhenStripped) {
  EXPECT_EQ(contains("Réponse : «oui», bien sûr", "oui bien",
                     {{"normalize", {"strip_punctuation", "lower"}}}),
            1);
}

TEST(Contains, RejectsAnUnknownParameter) {
  EXPECT_EQ(param_error("contains", {{"pattern", "x"}}), "pattern: unknown parameter 'pattern'");
}

}  // namespace
}  // namespace promptbench
