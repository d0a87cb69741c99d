// SPDX-License-Identifier: Apache-2.0
// Tests of the numeric metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;
using testing::value_of;

double numeric(const std::string& output, const json& reference,
               const json& params = json::object()) {
  return value_of("numeric", params, output, reference);
}

TEST(Numeric, FindsTheFirstNumberInTheOutput) {
  EXPECT_EQ(numeric("The answer is 42.", 42), 1);
  EXPECT_EQ(numeric("42 apples and 7 pears", 7), 0);
  EXPECT_EQ(numeric("42 apples and 7 pears", 7, {{"pick", "last"}}), 1);
}

TEST(Numeric, ReadsSignsDecimalsThousandsAndExponents) {
  EXPECT_EQ(numeric("Total: 1,234.5 USD", 1234.5), 1);
  EXPECT_EQ(numeric("about 1,000,000 people", 1000000), 1);
  EXPECT_EQ(numeric("x = -3.25", -3.25), 1);
  EXPECT_EQ(numeric("x = \u22125", -5), 1);  // U+2212 MINUS SIGN
  EXPECT_EQ(numeric("c = 3e8 m/s", 3e8), 1);
  EXPECT_EQ(numeric("tiny: 1.5E-3", 0.0015), 1);
  EXPECT_EQ(numeric("it is .5", 0.5), 1);
  EXPECT_EQ(numeric("+7", 7), 1);
}

TEST(Numeric, DoesNotTakeAHyphenBetweenNumbersAsASign) {
  EXPECT_EQ(numeric("pages 3-4", 4, {{"pick", "last"}}), 1);
  EXPECT_EQ(numeric("item-5", 5), 1);
}

TEST(Numeric, TakesCommasNotFollowedByThreeDigitsAsSeparators) {
  EXPECT_EQ(numeric("1,23", 1), 1);
  EXPECT_EQ(numeric("1,2,3", 3, {{"pick", "last"}}), 1);
  EXPECT_EQ(numeric("12345,678", 12345), 1);
}

// Python: math.isclose(0.1 + 0.2, 0.3) is True with the default rel_tol=1e-09;
// math.isclose(3.14, 3.14159) is False, and True with abs_tol=0.01.
TEST(Numeric, ComparesLikeMathIsclose) {
  EXPECT_EQ(numeric("0.30000000000000004", 0.3), 1);
  EXPECT_EQ(numeric("3.14", 3.14159), 0);
  EXPECT_EQ(numeric("3.14", 3.14159, {{"abs_tol", 0.01}}), 1);
  EXPECT_EQ(numeric("105", 100, {{"rel_tol", 0.05}}), 1);  // 5 <= 0.05 * 105
  EXPECT_EQ(numeric("106", 100, {{"rel_tol", 0.05}}), 0);  // 6 > 0.05 * 106
}

TEST(Numeric, ReadsStringReferences) {
  EXPECT_EQ(numeric("1234", "1,234"), 1);
  EXPECT_EQ(numeric("0.5", " 0.5 "), 1);
  EXPECT_EQ(numeric("3", json::array({"2", "3"})), 1);
}

TEST(Numeric, ScoresZeroWithoutANumber) {
  EXPECT_EQ(numeric("I don't know", 3), 0);
  EXPECT_EQ(numeric("", 3), 0);
}

TEST(Numeric, ReportsAReferenceThatIsNotANumber) {
  const auto metric = metric_named("numeric");
  EXPECT_EQ(score_with(*metric, "3", "three").error(), "the reference is not a number: 'three'");
  EXPECT_EQ(score_with(*metric, "3", "3 apples").error(),
            "the reference is not a number: '3 apples'");
  EXPECT_EQ(score_with(*metric, "3", nullptr).error(), "the case has no reference");
}

TEST(Numeric, ChecksItsParameters) {
  EXPECT_EQ(param_error("numeric", {{"pick", "middle"}}),
            "pick: expected first or last, got 'middle'");
  EXPECT_EQ(param_error("numeric", {{"rel_tol", -1}}), "rel_tol: expected a number >= 0, got -1");
  EXPECT_EQ(param_error("numeric", {{"abs_tol", "0.1"}}), "abs_tol: expected a number, got string");
  EXPECT_EQ(param_error("numeric", {{"tolerance", 1}}), "tolerance: unknown parameter 'tolerance'");
}

}  // namespace
}  // namespace promptbench
