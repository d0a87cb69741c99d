// SPDX-License-Identifier: Apache-2.0
// Tests of the metric registry and make_metric.
#include <set>

#include <gtest/gtest.h>

#include "promptbench/metric.hpp"
#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_config;
using testing::metric_named;
using testing::param_error;

std::string user_error(const std::string& name) {
  try {
    (void)make_metric(metric_config(name, json::object()));
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MetricRegistry, DescribesEveryMetricOnce) {
  std::set<std::string> names;
  for (const MetricInfo& info : metric_registry()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_STRNE(info.description, "") << info.name;
    EXPECT_STRNE(info.parameters, "") << info.name;
    EXPECT_NE(info.make, nullptr) << info.name;
  }
  EXPECT_TRUE(names.count("exact_match") && names.count("contains") && names.count("regex") &&
              names.count("latency"));
}

TEST(MakeMetric, NamesTheMetricAfterTheRegistryByDefault) {
  const auto metric = metric_named("exact_match");
  EXPECT_EQ(metric->name(), "exact_match");
  EXPECT_TRUE(metric->higher_is_better());
}

TEST(MakeMetric, UsesTheConfiguredName) {
  EXPECT_EQ(metric_named("contains", {{"name", "mentions_paris"}})->name(), "mentions_paris");
}

TEST(MakeMetric, AcceptsNullParameters) {
  EXPECT_EQ(make_metric(metric_config("latency", nullptr))->name(), "latency");
}

TEST(MakeMetric, SuggestsTheClosestMetricForATypo) {
  EXPECT_EQ(user_error("exact_mach"),
            "eval.yaml:7:5: metrics[0]: unknown metric 'exact_mach' (did you mean 'exact_match'?)");
}

TEST(MakeMetric, NamesAnUnknownMetricWithoutSuggestionWhenNothingIsClose) {
  EXPECT_EQ(user_error("perplexity"), "eval.yaml:7:5: metrics[0]: unknown metric 'perplexity'");
}

TEST(MakeMetric, RejectsAThresholdThatIsNotANumber) {
  EXPECT_EQ(param_error("latency", {{"threshold", "1s"}}),
            "threshold: expected a number, got string");
}

TEST(MakeMetric, RejectsAnEmptyName) {
  EXPECT_EQ(param_error("latency", {{"name", ""}}), "name: expected a non-empty string");
}

TEST(MakeMetric, RejectsParametersThatAreNotAMapping) {
  EXPECT_EQ(param_error("latency", json::array({1})), ": expected a mapping of parameters");
}

}  // namespace
}  // namespace promptbench
