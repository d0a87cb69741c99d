// SPDX-License-Identifier: Apache-2.0
// Tests of the regex metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::param_error;
using testing::value_of;

TEST(Regex, ScoresOneWhenThePatternMatchesAnywhere) {
  EXPECT_EQ(value_of("regex", {{"pattern", "\\d{3}"}}, "call 555-1234", nullptr), 1);
}

TEST(Regex, ScoresZeroWhenItDoesNotMatch) {
  EXPECT_EQ(value_of("regex", {{"pattern", "^\\d+$"}}, "call 555", nullptr), 0);
}

TEST(Regex, InvertsTheScoreWhenNegated) {
  const json params = {{"pattern", "(?i)sorry"}, {"negate", true}};
  EXPECT_EQ(value_of("regex", params, "Sorry, I can't", nullptr), 0);
  EXPECT_EQ(value_of("regex", params, "Paris", nullptr), 1);
}

TEST(Regex, MatchesUnicodeCharacters) {
  EXPECT_EQ(value_of("regex", {{"pattern", "^\\p{Greek}+$"}}, "λόγος", nullptr), 1);
}

TEST(Regex, DoesNotCrashOnInvalidUtf8) {
  EXPECT_EQ(value_of("regex", {{"pattern", "ok"}}, "\xff ok \xc3", nullptr), 1);
}

TEST(Regex, CarriesAPassFlag) {
  const auto metric = testing::metric_named("regex", {{"pattern", "yes"}});
  EXPECT_EQ(testing::score_with(*metric, "no", nullptr)->pass, false);
}

TEST(Regex, RequiresAPattern) {
  EXPECT_EQ(param_error("regex", json::object()), "pattern: missing required parameter 'pattern'");
}

TEST(Regex, ReportsAnInvalidPattern) {
  EXPECT_EQ(param_error("regex", {{"pattern", "(unclosed"}}),
            "pattern: invalid regular expression: missing ): (unclosed");
}

TEST(Regex, RejectsANegateThatIsNotABool) {
  EXPECT_EQ(param_error("regex", {{"pattern", "x"}, {"negate", "yes"}}),
            "negate: expected true or false, got string");
}

TEST(Regex, SuggestsTheParameterForATypo) {
  EXPECT_EQ(param_error("regex", {{"patern", "x"}}),
            "patern: unknown parameter 'patern' (did you mean 'pattern'?)");
}

}  // namespace
}  // namespace promptbench
