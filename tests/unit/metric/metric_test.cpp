// SPDX-License-Identifier: Apache-2.0
// Tests of what every metric shares: the pass flag and reference_strings.
#include <gtest/gtest.h>

#include "promptbench/metric.hpp"
#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::score_with;

TEST(MetricScore, PassesBinaryMetricsAtOneByDefault) {
  const auto metric = metric_named("exact_match");
  EXPECT_EQ(metric->threshold(), 1.0);
  EXPECT_EQ(score_with(*metric, "yes", "yes")->pass, true);
  EXPECT_EQ(score_with(*metric, "no", "yes")->pass, false);
}

TEST(MetricScore, UsesTheConfiguredThresholdForHigherIsBetter) {
  const auto metric = metric_named("exact_match", {{"threshold", 0}});
  EXPECT_EQ(score_with(*metric, "no", "yes")->pass, true);
}

TEST(MetricScore, PassesLowerIsBetterMetricsAtOrBelowTheThreshold) {
  const auto metric = metric_named("latency", {{"threshold", 250}});
  EXPECT_EQ(score_with(*metric, "", nullptr, 250)->pass, true);
  EXPECT_EQ(score_with(*metric, "", nullptr, 250.5)->pass, false);
}

TEST(MetricScore, SetsNoPassFlagWithoutAThreshold) {
  const auto metric = metric_named("latency");
  const auto score = score_with(*metric, "", nullptr, 42);
  EXPECT_EQ(score->value, 42);
  EXPECT_FALSE(score->pass.has_value());
}

TEST(ReferenceStrings, TakesAStringAsTheOnlyAnswer) {
  EXPECT_EQ(reference_strings("Paris"), std::vector<std::string>{"Paris"});
}

TEST(ReferenceStrings, TakesEachListItemAsAnAnswer) {
  EXPECT_EQ(reference_strings(json::array({"Paris", 75, true, nullptr})),
            (std::vector<std::string>{"Paris", "75", "true"}));
}

TEST(ReferenceStrings, WritesNumbersAndBoolsAsJsonText) {
  EXPECT_EQ(reference_strings(42), std::vector<std::string>{"42"});
  EXPECT_EQ(reference_strings(2.5), std::vector<std::string>{"2.5"});
  EXPECT_EQ(reference_strings(false), std::vector<std::string>{"false"});
}

TEST(ReferenceStrings, GivesNoAnswersForNull) {
  EXPECT_TRUE(reference_strings(nullptr).empty());
}

}  // namespace
}  // namespace promptbench
