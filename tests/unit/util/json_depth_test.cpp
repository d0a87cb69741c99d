// SPDX-License-Identifier: Apache-2.0
// Nesting depth of JSON text, measured before parsing.
#include <string>

#include <gtest/gtest.h>

#include "util/json_depth.hpp"

namespace promptbench::util {
namespace {

TEST(JsonDepth, FindsTheBracketThatOpensOneLevelTooMany) {
  EXPECT_EQ(find_nesting_beyond("[[1]]", 2), std::nullopt);
  EXPECT_EQ(find_nesting_beyond("[[1]]", 1), 1u);
  EXPECT_EQ(find_nesting_beyond(R"({"a": [{"b": 1}]})", 2), 7u);
}

TEST(JsonDepth, CountsOnlyOpenBrackets) {
  EXPECT_EQ(find_nesting_beyond("[1], [2], [3]", 1), std::nullopt);
  EXPECT_EQ(find_nesting_beyond("]]]][", 1), std::nullopt);
}

TEST(JsonDepth, IgnoresBracketsInStrings) {
  EXPECT_EQ(find_nesting_beyond(R"(["[[[", "\"[[", {}])", 2), std::nullopt);
  EXPECT_EQ(find_nesting_beyond(R"(["\\", [[]]])", 2), 8u);
}

TEST(JsonDepth, ScalesToDeepInput) {
  const std::string deep = std::string(20'000, '[') + std::string(20'000, ']');
  EXPECT_EQ(find_nesting_beyond(deep, 100), 100u);
}

}  // namespace
}  // namespace promptbench::util
