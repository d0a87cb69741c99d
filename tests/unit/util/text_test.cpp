// SPDX-License-Identifier: Apache-2.0
// The shared text vocabulary: trim, lower, did_you_mean, display_width and pad_right.
#include <gtest/gtest.h>

#include "util/text.hpp"

namespace promptbench::util {
namespace {

TEST(Trim, DropsAsciiWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(trim("  exact_match \t"), "exact_match");
  EXPECT_EQ(trim("\r\n\f\va b\n"), "a b");
  EXPECT_EQ(trim("inner  space"), "inner  space");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n"), "");
  // Unicode whitespace is content here (the metrics' trim_whitespace is Unicode-aware).
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");
}

TEST(Lower, LowerCasesAsciiLettersAndKeepsEveryOtherByte) {
  EXPECT_EQ(lower("Content-Type"), "content-type");
  EXPECT_EQ(lower(".INF"), ".inf");
  EXPECT_EQ(lower("ALWAYS 123 _-"), "always 123 _-");
  EXPECT_EQ(lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // "ÉTÉ": only the T
  EXPECT_EQ(lower(""), "");
}

TEST(DidYouMean, SuggestsTheClosestCandidateAsAnAppendableClause) {
  EXPECT_EQ(did_you_mean("timeuot", std::vector<std::string>{"timeout", "retries"}),
            " (did you mean 'timeout'?)");
  EXPECT_EQ(did_you_mean("shuot", {"plain", "shout"}), " (did you mean 'shout'?)");
  EXPECT_EQ(did_you_mean("rouge3", {"rouge1", "rouge2", "rougeL"}), " (did you mean 'rouge1'?)");
}

TEST(DidYouMean, IsEmptyWhenNothingIsAPlausibleTypo) {
  EXPECT_EQ(did_you_mean("colour", {"name", "prompts", "providers"}), "");
  EXPECT_EQ(did_you_mean("y", {"x"}), "");
  EXPECT_EQ(did_you_mean("anything", std::vector<std::string>{}), "");
}

TEST(DisplayWidth, CountsColumnsNotBytes) {
  EXPECT_EQ(display_width(""), 0u);
  EXPECT_EQ(display_width("variant"), 7u);
  EXPECT_EQ(display_width("\xC2\xB1"), 1u);       // "±": two bytes, one column
  EXPECT_EQ(display_width("\xCE\x94 mean"), 6u);  // "Δ mean"
  EXPECT_EQ(display_width("e\xCC\x81"), 1u);      // "e" + combining acute
}

TEST(DisplayWidth, WideCjkAndEmojiTakeTwoColumns) {
  EXPECT_EQ(display_width("\xE4\xB8\xAD\xE6\x96\x87"), 4u);                   // "中文"
  EXPECT_EQ(display_width("\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88/gpt"), 10u);  // "テスト/gpt"
  EXPECT_EQ(display_width("\xF0\x9F\x98\x80"), 2u);     // U+1F600 grinning face
  EXPECT_EQ(display_width("ok \xF0\x9F\x9A\x80"), 5u);  // "ok 🚀"
}

TEST(DisplayWidth, AnInvalidByteCountsAsOneColumn) {
  EXPECT_EQ(display_width("caf\xE9"), 4u);
  EXPECT_EQ(display_width("\xFF\xFE"), 2u);
}

TEST(PadRight, PadsToDisplayColumns) {
  EXPECT_EQ(pad_right("ab", 4), "ab  ");
  EXPECT_EQ(pad_right("\xE4\xB8\xAD", 4), "\xE4\xB8\xAD  ");  // "中" is two columns already
  EXPECT_EQ(pad_right("\xC2\xB1", 3), "\xC2\xB1  ");
  EXPECT_EQ(pad_right("wider", 3), "wider");
}

}  // namespace
}  // namespace promptbench::util
