// SPDX-License-Identifier: Apache-2.0
// Located errors and the "did you mean" helper.
#include <gtest/gtest.h>

#include "promptbench/error.hpp"

namespace promptbench {
namespace {

TEST(UserError, FormatsLocationFieldAndMessage) {
  EXPECT_STREQ(UserError({"cfg.yaml", 4, 14}, "providers[0].timeout", "bad").what(),
               "cfg.yaml:4:14: providers[0].timeout: bad");
  EXPECT_STREQ(UserError({"data.jsonl", 17, 0}, "", "bad row").what(), "data.jsonl:17: bad row");
  EXPECT_STREQ(UserError({"data.jsonl", 0, 0}, "", "missing").what(), "data.jsonl: missing");
  EXPECT_STREQ(UserError("plain").what(), "plain");
}

TEST(ClosestMatch, SuggestsTyposIncludingTranspositions) {
  EXPECT_EQ(closest_match("timeuot", {"timeout", "retries"}), "timeout");
  EXPECT_EQ(closest_match("shuot", {"plain", "shout"}), "shout");
  EXPECT_EQ(closest_match("promps", {"providers", "prompts"}), "prompts");
}

TEST(ClosestMatch, SuggestsNothingForUnrelatedWords) {
  EXPECT_EQ(closest_match("colour", {"name", "prompts", "providers"}), "");
  EXPECT_EQ(closest_match("y", {"x"}), "");
  EXPECT_EQ(closest_match("anything", std::vector<std::string>{}), "");
}

TEST(LocationOfOffset, CountsLinesAndColumnsFromOne) {
  const std::string text = "ab\ncde\n";
  EXPECT_EQ(location_of_offset("f", text, 0).to_string(), "f:1:1");
  EXPECT_EQ(location_of_offset("f", text, 4).to_string(), "f:2:2");
}

}  // namespace
}  // namespace promptbench
