// SPDX-License-Identifier: Apache-2.0
// Tests of the cost metric and the pricing arithmetic behind it.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;

ProviderConfig priced(double prompt, double completion) {
  ProviderConfig provider;
  provider.id = "gpt";
  provider.pricing = Pricing{prompt, completion};
  return provider;
}

tl::expected<Score, std::string> score_cost(const Metric& metric, const ProviderConfig& provider,
                                            std::optional<std::int64_t> prompt_tokens,
                                            std::optional<std::int64_t> completion_tokens) {
  const std::string output = "text";
  const json reference = nullptr;
  const json vars = json::object();
  Completion completion;
  completion.text = output;
  completion.usage.prompt_tokens = prompt_tokens;
  completion.usage.completion_tokens = completion_tokens;
  return metric.score(ScoreInput{output, output, reference, vars, completion, &provider});
}

TEST(CostUsd, PricesBothSidesPerMillionTokens) {
  // 1200 prompt tokens at $2.50/M + 300 completion tokens at $10/M = $0.003 + $0.003.
  EXPECT_DOUBLE_EQ(*cost_usd(Usage{1200, 300}, Pricing{2.5, 10}), 0.006);
  EXPECT_DOUBLE_EQ(*cost_usd(Usage{std::nullopt, 1'000'000}, Pricing{2.5, 10}), 10.0);
  EXPECT_FALSE(cost_usd(Usage{}, Pricing{2.5, 10}).has_value());
}

TEST(Cost, ScoresTheResponsePriceAndIsLowerIsBetter) {
  const auto metric = metric_named("cost", {{"threshold", 0.005}});
  EXPECT_FALSE(metric->higher_is_better());
  const auto cheap = score_cost(*metric, priced(2.5, 10), 1000, 100);
  EXPECT_DOUBLE_EQ(cheap->value, 0.0035);
  EXPECT_EQ(cheap->pass, true);
  EXPECT_EQ(score_cost(*metric, priced(2.5, 10), 1000, 1000)->pass, false);
}

TEST(Cost, IsAnErrorWithoutUsageOrPricing) {
  const auto metric = metric_named("cost");
  EXPECT_EQ(score_cost(*metric, priced(1, 1), std::nullopt, std::nullopt).error(),
            "the response reported no usage");
  ProviderConfig unpriced;
  unpriced.id = "local";
  EXPECT_EQ(score_cost(*metric, unpriced, 10, 10).error(), "provider 'local' has no pricing");
}

TEST(Cost, RejectsParametersOtherThanTheCommonOnes) {
  EXPECT_EQ(param_error("cost", {{"currency", "EUR"}}), "currency: unknown parameter 'currency'");
}

TEST(Metric, HigherIsBetterFromTheConfigWinsOverTheMetricsOwn) {
  const auto metric = metric_named("length", {{"higher_is_better", true}, {"threshold", 5}});
  EXPECT_TRUE(metric->higher_is_better());
  EXPECT_EQ(testing::score_with(*metric, "abcdef", nullptr)->pass, true);
  EXPECT_EQ(param_error("length", {{"higher_is_better", "yes"}}),
            "higher_is_better: expected true or false, got string");
}

}  // namespace
}  // namespace promptbench
