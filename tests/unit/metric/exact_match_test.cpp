// SPDX-License-Identifier: Apache-2.0
// Tests of the exact_match metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::param_error;
using testing::value_of;

double exact(const std::string& output, const json& reference,
             const json& params = json::object()) {
  return value_of("exact_match", params, output, reference);
}

TEST(ExactMatch, ScoresOneForAnEqualOutput) {
  EXPECT_EQ(exact("Paris", "Paris"), 1);
}

TEST(ExactMatch, ScoresZeroForADifferentOutput) {
  EXPECT_EQ(exact("Lyon", "Paris"), 0);
}

TEST(ExactMatch, TrimsByDefault) {
  EXPECT_EQ(exact("  Paris\n", " Paris"), 1);
}

TEST(ExactMatch, IsCaseSensitiveByDefault) {
  EXPECT_EQ(exact("paris", "Paris"), 0);
}

TEST(ExactMatch, IgnoresCaseWhenLowerNormalizerIsOn) {
  EXPECT_EQ(exact("paris", "PARIS", {{"normalize", "lower"}}), 1);
  EXPECT_EQ(exact("école", "ÉCOLE", {{"normalize", "lower"}}), 1);
}

TEST(ExactMatch, DoesNotTrimWhenNormalizersAreGivenWithoutTrim) {
  EXPECT_EQ(exact(" paris", "PARIS", {{"normalize", {"lower"}}}), 0);
}

TEST(ExactMatch, CollapsesWhitespaceWhenAsked) {
  EXPECT_EQ(exact("New \t York", "New York", {{"normalize", {"collapse_whitespace"}}}), 1);
}

TEST(ExactMatch, StripsUnicodePunctuationWhenAsked) {
  EXPECT_EQ(exact("«Oui»", "oui", {{"normalize", {"strip_punctuation", "lower"}}}), 1);
  EXPECT_EQ(exact("¿Qué?", "Qué", {{"normalize", {"strip_punctuation"}}}), 1);
}

TEST(ExactMatch, MatchesAnyReferenceInAList) {
  EXPECT_EQ(exact("NYC", json::array({"New York", "NYC"})), 1);
  EXPECT_EQ(exact("LA", json::array({"New York", "NYC"})), 0);
}

TEST(ExactMatch, ComparesNumberReferencesByTheirText) {
  EXPECT_EQ(exact("42", 42), 1);
  EXPECT_EQ(exact(" 2.5 ", json::array({1, 2.5})), 1);
}

TEST(ExactMatch, ScoresZeroWithoutReferences) {
  EXPECT_EQ(exact("", json::array()), 0);
  EXPECT_EQ(exact("", nullptr), 0);
}

TEST(ExactMatch, MatchesAnEmptyOutputOnlyToAnEmptyReference) {
  EXPECT_EQ(exact("", ""), 1);
  EXPECT_EQ(exact(" ", "Paris"), 0);
}

TEST(ExactMatch, DoesNotCrashOnInvalidUtf8) {
  const json params = {
      {"normalize", {"trim", "lower", "collapse_whitespace", "strip_punctuation"}}};
  EXPECT_EQ(exact("\xff\xfe OUI \xc3", "\xff\xfe oui \xc3", params), 1);
}

TEST(ExactMatch, SuggestsTheParameterForATypo) {
  EXPECT_EQ(param_error("exact_match", {{"normalise", "lower"}}),
            "normalise: unknown parameter 'normalise' (did you mean 'normalize'?)");
}

TEST(ExactMatch, SuggestsTheNormalizerForATypo) {
  EXPECT_EQ(param_error("exact_match", {{"normalize", {"trim", "colapse_whitespace"}}}),
            "normalize: unknown normalizer 'colapse_whitespace' (did you mean "
            "'collapse_whitespace'?)");
}

}  // namespace
}  // namespace promptbench
