// SPDX-License-Identifier: Apache-2.0
// Tests of MetricParams: typed getters and the unknown-key check.
#include <functional>

#include <gtest/gtest.h>

#include "promptbench/metric.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ParamError& e) {
    return e.key() + ": " + e.what();
  }
  return "no error";
}

TEST(MetricParams, ReadsEachType) {
  const json raw = {{"s", "text"}, {"n", 2.5}, {"b", true}, {"l", {"a", "b"}}};
  const MetricParams params(raw);
  EXPECT_EQ(params.get_string("s", ""), "text");
  EXPECT_EQ(params.get_number("n", 0), 2.5);
  EXPECT_EQ(params.get_optional_number("n"), 2.5);
  EXPECT_TRUE(params.get_bool("b", false));
  EXPECT_EQ(params.get_string_list("l"), (std::vector<std::string>{"a", "b"}));
}

TEST(MetricParams, GivesFallbacksForAbsentKeys) {
  const json raw = json::object();
  const MetricParams params(raw);
  EXPECT_FALSE(params.has("s"));
  EXPECT_EQ(params.get_string("s", "default"), "default");
  EXPECT_EQ(params.get_number("n", 3), 3);
  EXPECT_FALSE(params.get_optional_number("n").has_value());
  EXPECT_TRUE(params.get_bool("b", true));
  EXPECT_TRUE(params.get_string_list("l").empty());
}

TEST(MetricParams, TreatsNullParametersAsNone) {
  const json raw = nullptr;
  const MetricParams params(raw);
  EXPECT_FALSE(params.has("name"));
  EXPECT_NO_THROW(params.allow_only({}));
}

TEST(MetricParams, TakesASingleStringAsAOneItemList) {
  const json raw = {{"l", "lower"}};
  EXPECT_EQ(MetricParams(raw).get_string_list("l"), std::vector<std::string>{"lower"});
}

TEST(MetricParams, TakesIntegersAndBoolsWhereTextIsExpectedAsWritten) {
  const json raw = {{"s", 42}, {"l", {7, false}}};
  const MetricParams params(raw);
  EXPECT_EQ(params.get_string("s", ""), "42");
  EXPECT_EQ(params.get_string_list("l"), (std::vector<std::string>{"7", "false"}));
}

TEST(MetricParams, ReportsWrongTypesWithTheKey) {
  const json raw = {{"s", {1, 2}}, {"n", "fast"}, {"b", "yes"}, {"l", 2.5}, {"m", {"a", {1}}}};
  const MetricParams params(raw);
  EXPECT_EQ(error_of([&] { (void)params.get_string("s", ""); }), "s: expected a string, got list");
  EXPECT_EQ(error_of([&] { (void)params.get_number("n", 0); }), "n: expected a number, got string");
  EXPECT_EQ(error_of([&] { (void)params.get_optional_number("n"); }),
            "n: expected a number, got string");
  EXPECT_EQ(error_of([&] { (void)params.get_bool("b", false); }),
            "b: expected true or false, got string");
  EXPECT_EQ(error_of([&] { (void)params.get_string_list("l"); }),
            "l: expected a string or a list of strings, got number");
  EXPECT_EQ(error_of([&] { (void)params.get_string_list("m"); }),
            "m: expected a list of strings, got a list at [1]");
}

TEST(MetricParams, AcceptsTheKnownAndTheCommonKeys) {
  const json raw = {{"normalize", "trim"}, {"name", "em"}, {"threshold", 0.5}};
  EXPECT_NO_THROW(MetricParams(raw).allow_only({"normalize"}));
}

TEST(MetricParams, SuggestsTheClosestKnownKeyForATypo) {
  const json raw = {{"normalise", "trim"}};
  EXPECT_EQ(error_of([&] { MetricParams(raw).allow_only({"normalize"}); }),
            "normalise: unknown parameter 'normalise' (did you mean 'normalize'?)");
}

TEST(MetricParams, SuggestsCommonKeysToo) {
  const json raw = {{"treshold", 1}};
  EXPECT_EQ(error_of([&] { MetricParams(raw).allow_only({}); }),
            "treshold: unknown parameter 'treshold' (did you mean 'threshold'?)");
}

TEST(MetricParams, NamesAnUnknownKeyWithoutSuggestionWhenNothingIsClose) {
  const json raw = {{"colour", "red"}};
  EXPECT_EQ(error_of([&] { MetricParams(raw).allow_only({"normalize"}); }),
            "colour: unknown parameter 'colour'");
}

}  // namespace
}  // namespace promptbench
