// SPDX-License-Identifier: Apache-2.0
// Tests of the levenshtein metric.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::metric_named;
using testing::param_error;
using testing::score_with;
using testing::value_of;

double similarity(const std::string& output, const json& reference,
                  const json& params = json::object()) {
  return value_of("levenshtein", params, output, reference);
}

// The textbook example (Levenshtein distance, Wikipedia): kitten -> sitting is 3 edits;
// the longer has 7 characters: 1 - 3/7 = 4/7.
TEST(Levenshtein, IsOneMinusDistanceOverTheLongerLength) {
  EXPECT_DOUBLE_EQ(similarity("kitten", "sitting"), 1.0 - 3.0 / 7);
  EXPECT_EQ(similarity("same", "same"), 1.0);
  EXPECT_EQ(similarity("abc", "xyz"), 0.0);
}

// By hand: "café" and "cafe" differ in one of four code points (é is 2 bytes): 1 - 1/4.
TEST(Levenshtein, CountsCodePointsNotBytes) {
  EXPECT_DOUBLE_EQ(similarity("café", "cafe"), 0.75);
  EXPECT_DOUBLE_EQ(similarity("日本語", "日本"), 1.0 - 1.0 / 3);
}

TEST(Levenshtein, TrimsByDefaultAndNormalizesOnRequest) {
  EXPECT_EQ(similarity("  Paris\n", "Paris"), 1.0);
  EXPECT_EQ(similarity("PARIS", "paris", {{"normalize", {"trim", "lower"}}}), 1.0);
  EXPECT_DOUBLE_EQ(similarity("PARIS", "paris"), 0.0);
}

TEST(Levenshtein, TakesTheBestReference) {
  EXPECT_EQ(similarity("Paris", json::array({"London", "Paris"})), 1.0);
}

TEST(Levenshtein, HandlesEmptyTexts) {
  EXPECT_EQ(similarity("", ""), 1.0);
  EXPECT_EQ(similarity("", "abc"), 0.0);
  EXPECT_EQ(similarity("abc", json::array()), 0.0);
}

TEST(Levenshtein, PassesAtTheThreshold) {
  const auto metric = metric_named("levenshtein", {{"threshold", 0.5}});
  EXPECT_EQ(score_with(*metric, "kitten", "sitting")->pass, true);
  EXPECT_EQ(score_with(*metric, "abc", "xyz")->pass, false);
}

// A long output nearly equal to its reference is cheap: the common prefix and suffix go
// before the quadratic table. By hand: one substitution in 100000 code points.
TEST(Levenshtein, ScoresLongNearlyEqualTextsQuickly) {
  std::string reference(100000, 'x');
  std::string output = reference;
  output[50000] = 'y';
  EXPECT_DOUBLE_EQ(similarity(output, reference), 1.0 - 1.0 / 100000);
}

TEST(Levenshtein, ReportsAnErrorBeyondItsSizeLimit) {
  std::string output;
  std::string reference;
  for (int i = 0; i < 20000; ++i) {
    output += static_cast<char>('a' + i % 7);
    reference += static_cast<char>('a' + i % 5);
  }
  const auto result = score_with(*metric_named("levenshtein"), output, reference);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(),
            "too long for levenshtein: 20000 x 20000 code points differ (limit 10^8 cells)");
}

TEST(Levenshtein, RejectsAnUnknownParameter) {
  EXPECT_EQ(param_error("levenshtein", {{"max", 3}}), "max: unknown parameter 'max'");
}

}  // namespace
}  // namespace promptbench
