// SPDX-License-Identifier: Apache-2.0
// UTF-8 validation: where the first invalid byte is.
#include <gtest/gtest.h>

#include "util/utf8.hpp"

namespace promptbench::util {
namespace {

TEST(Utf8, AcceptsAsciiAndMultiByteSequences) {
  EXPECT_EQ(find_invalid_utf8(""), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("plain"), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"), std::nullopt);
}

TEST(Utf8, FindsTheFirstInvalidByte) {
  EXPECT_EQ(find_invalid_utf8("caf\xE9"), 3u);               // Latin-1
  EXPECT_EQ(find_invalid_utf8("ok\xC3"), 2u);                // truncated
  EXPECT_EQ(find_invalid_utf8("a\xC0\xAF"), 1u);             // overlong '/'
  EXPECT_EQ(find_invalid_utf8("x\xED\xA0\x80"), 1u);         // a UTF-16 surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);      // beyond U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\xC3\xA9\x80\xC3\xA9"), 2u);  // a lone continuation byte
}

TEST(Utf8, APrefixNeverEndsInsideACharacter) {
  EXPECT_EQ(utf8_prefix("short", 60), "short");
  EXPECT_EQ(utf8_prefix("abcdef", 3), "abc");
  EXPECT_EQ(utf8_prefix("ab\xE2\x9C\x93z", 3), "ab");  // the cut would split the check mark
  EXPECT_EQ(utf8_prefix("ab\xE2\x9C\x93z", 5), "ab\xE2\x9C\x93");
  EXPECT_EQ(utf8_prefix("\xC3\xA9", 1), "");
}

}  // namespace
}  // namespace promptbench::util
