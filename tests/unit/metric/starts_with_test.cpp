// SPDX-License-Identifier: Apache-2.0
// Tests of the starts_with metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::param_error;
using testing::value_of;

double starts_with(const std::string& output, const json& reference,
                   const json& params = json::object()) {
  return value_of("starts_with", params, output, reference);
}

TEST(StartsWith, ScoresOneWhenTheOutputBeginsWithTheReference) {
  EXPECT_EQ(starts_with("Positive. The review praises the food.", "positive"), 1);
  EXPECT_EQ(starts_with("The review is positive", "positive"), 0);
}

TEST(StartsWith, TrimsAndLowerCasesByDefault) {
  EXPECT_EQ(starts_with("  \u00c9COLE primaire", "école"), 1);
}

TEST(StartsWith, IsCaseSensitiveWithoutLower) {
  EXPECT_EQ(starts_with("Yes", "yes", {{"normalize", "trim"}}), 0);
}

TEST(StartsWith, MatchesAnyReference) {
  EXPECT_EQ(starts_with("NYC is big", json::array({"New York", "nyc"})), 1);
}

TEST(StartsWith, IgnoresEmptyReferencesAndEmptyOutputs) {
  EXPECT_EQ(starts_with("anything", ""), 0);
  EXPECT_EQ(starts_with("", "yes"), 0);
}

TEST(StartsWith, RejectsAnUnknownNormalizer) {
  EXPECT_EQ(param_error("starts_with", {{"normalize", "upper"}}).substr(0, 11), "normalize: ");
}

}  // namespace
}  // namespace promptbench
