// SPDX-License-Identifier: Apache-2.0
// Tests of the tokens metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;

tl::expected<Score, std::string> score_usage(const Metric& metric,
                                             std::optional<std::int64_t> tokens) {
  const std::string output = "text";
  const json reference = nullptr;
  const json vars = json::object();
  Completion completion;
  completion.text = output;
  completion.usage.completion_tokens = tokens;
  return metric.score(ScoreInput{output, output, reference, vars, completion});
}

TEST(Tokens, ScoresTheReportedCompletionTokens) {
  EXPECT_EQ(score_usage(*metric_named("tokens"), 17)->value, 17);
}

TEST(Tokens, ReportsAnErrorWithoutUsage) {
  EXPECT_EQ(score_usage(*metric_named("tokens"), std::nullopt).error(),
            "the response reported no usage");
}

TEST(Tokens, IsLowerIsBetterWithTheThresholdAsAMaximum) {
  const auto metric = metric_named("tokens", {{"threshold", 100}});
  EXPECT_FALSE(metric->higher_is_better());
  EXPECT_EQ(score_usage(*metric, 100)->pass, true);
  EXPECT_EQ(score_usage(*metric, 101)->pass, false);
}

TEST(Tokens, RejectsParametersOtherThanTheCommonOnes) {
  EXPECT_EQ(param_error("tokens", {{"unit", "words"}}), "unit: unknown parameter 'unit'");
}

}  // namespace
}  // namespace promptbench
