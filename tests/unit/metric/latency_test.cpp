// SPDX-License-Identifier: Apache-2.0
// Tests of the latency metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;

TEST(Latency, ScoresTheCompletionsLatencyInMilliseconds) {
  const auto metric = metric_named("latency");
  EXPECT_EQ(score_with(*metric, "anything", "ref", 123.5)->value, 123.5);
}

TEST(Latency, IsLowerIsBetter) {
  EXPECT_FALSE(metric_named("latency")->higher_is_better());
}

TEST(Latency, HasNoThresholdUnlessGiven) {
  EXPECT_FALSE(metric_named("latency")->threshold().has_value());
  EXPECT_EQ(metric_named("latency", {{"threshold", 500}})->threshold(), 500);
}

TEST(Latency, RejectsParametersOtherThanTheCommonOnes) {
  EXPECT_EQ(param_error("latency", {{"normalize", "trim"}}),
            "normalize: unknown parameter 'normalize'");
}

}  // namespace
}  // namespace promptbench
