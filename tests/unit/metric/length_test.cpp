// SPDX-License-Identifier: Apache-2.0
// Tests of the length metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;
using testing::value_of;

TEST(Length, CountsCodePointsByDefault) {
  EXPECT_EQ(value_of("length", json::object(), "héllo 日本", nullptr), 8);
  EXPECT_EQ(value_of("length", json::object(), "", nullptr), 0);
}

TEST(Length, CountsWhitespaceSeparatedWords) {
  EXPECT_EQ(value_of("length", {{"unit", "words"}}, "  one two\u00a0three\n\tfour ", nullptr), 4);
  EXPECT_EQ(value_of("length", {{"unit", "words"}}, "   ", nullptr), 0);
}

TEST(Length, IsLowerIsBetterWithTheThresholdAsAMaximum) {
  const auto metric = metric_named("length", {{"unit", "words"}, {"threshold", 3}});
  EXPECT_FALSE(metric->higher_is_better());
  EXPECT_EQ(score_with(*metric, "one two three", nullptr)->pass, true);
  EXPECT_EQ(score_with(*metric, "one two three four", nullptr)->pass, false);
  EXPECT_FALSE(metric_named("length")->threshold().has_value());
}

TEST(Length, ChecksItsParameters) {
  EXPECT_EQ(param_error("length", {{"unit", "tokens"}}),
            "unit: expected chars or words, got 'tokens'");
  EXPECT_EQ(param_error("length", {{"size", 10}}), "size: unknown parameter 'size'");
  EXPECT_EQ(param_error("length", {{"min", 5}, {"max", 2}}), "max: max (2) is below min (5)");
  EXPECT_EQ(param_error("length", {{"max", 5}, {"threshold", 2}}),
            "threshold: use either threshold or min/max, not both");
}

TEST(Length, MinAndMaxMakeThePassFlagARange) {
  const auto metric = metric_named("length", {{"unit", "words"}, {"min", 2}, {"max", 3}});
  EXPECT_EQ(score_with(*metric, "one", nullptr)->pass, false);
  EXPECT_EQ(score_with(*metric, "one two", nullptr)->pass, true);
  EXPECT_EQ(score_with(*metric, "one two three", nullptr)->pass, true);
  EXPECT_EQ(score_with(*metric, "one two three four", nullptr)->pass, false);
  const auto at_least = metric_named("length", {{"min", 3}});
  EXPECT_EQ(score_with(*at_least, "ab", nullptr)->pass, false);
  EXPECT_EQ(score_with(*at_least, "abcdef", nullptr)->pass, true);
}

}  // namespace
}  // namespace promptbench
