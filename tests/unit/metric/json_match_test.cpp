// SPDX-License-Identifier: Apache-2.0
// Tests of the json_match metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;
using testing::value_of;

double match(const std::string& output, const json& reference) {
  return value_of("json_match", json::object(), output, reference);
}

TEST(JsonMatch, AcceptsExtraKeysInTheOutput) {
  EXPECT_EQ(match(R"({"label": "positive", "why": "great food"})", {{"label", "positive"}}), 1);
  EXPECT_EQ(match(R"({"label": "negative"})", {{"label", "positive"}}), 0);
  EXPECT_EQ(match(R"({"why": "x"})", {{"label", "positive"}}), 0);
}

TEST(JsonMatch, RecursesIntoObjectsAndArrays) {
  const json expected = json::parse(R"({"a": {"b": [1, {"c": true}]}})");
  EXPECT_EQ(match(R"({"a": {"b": [1, {"c": true, "d": 0}], "e": 1}})", expected), 1);
  EXPECT_EQ(match(R"({"a": {"b": [1, {"c": true}, 2]}})", expected), 0);  // array length
  EXPECT_EQ(match(R"({"a": {"b": [{"c": true}, 1]}})", expected), 0);     // array order
}

TEST(JsonMatch, ComparesNumbersByValue) {
  EXPECT_EQ(match(R"({"n": 1.0})", {{"n", 1}}), 1);
  EXPECT_EQ(match(R"({"n": 1})", {{"n", 1.5}}), 0);
  EXPECT_EQ(match(R"({"n": 18446744073709551615})", json::parse(R"({"n": 18446744073709551615})")),
            1);
  EXPECT_EQ(match(R"({"n": -1})", json::parse(R"({"n": 18446744073709551615})")), 0);
  EXPECT_EQ(match(R"({"n": true})", {{"n", 1}}), 0);  // a boolean is not a number
}

TEST(JsonMatch, ParsesAReferenceStringAsJson) {
  EXPECT_EQ(match(R"({"label": "positive", "x": 1})", R"({"label": "positive"})"), 1);
}

TEST(JsonMatch, FindsJsonInAFencedBlock) {
  EXPECT_EQ(match("Sure:\n```json\n{\"label\": \"positive\"}\n```", {{"label", "positive"}}), 1);
}

TEST(JsonMatch, ScoresZeroForOutputThatIsNotJson) {
  EXPECT_EQ(match("positive", {{"label", "positive"}}), 0);
  EXPECT_EQ(match("", {{"label", "positive"}}), 0);
}

TEST(JsonMatch, ReportsAnErrorForAReferenceThatIsNotJson) {
  const auto metric = metric_named("json_match");
  EXPECT_EQ(score_with(*metric, "{}", "positive").error(),
            "the reference is a string that is not JSON");
  EXPECT_EQ(score_with(*metric, "{}", nullptr).error(), "the case has no reference");
}

TEST(JsonMatch, RejectsAnUnknownParameter) {
  EXPECT_EQ(param_error("json_match", {{"schema", "x"}}), "schema: unknown parameter 'schema'");
}

}  // namespace
}  // namespace promptbench
