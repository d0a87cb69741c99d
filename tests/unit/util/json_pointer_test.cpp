// SPDX-License-Identifier: Apache-2.0
// JSON pointers: escaping member names, parsing what the user wrote, finding values.
#include <gtest/gtest.h>

#include "util/json_pointer.hpp"

namespace promptbench::util {
namespace {

TEST(JsonPointer, EscapesTildeBeforeSlash) {
  EXPECT_EQ(escape_pointer_token("plain"), "plain");
  EXPECT_EQ(escape_pointer_token("a/b"), "a~1b");
  EXPECT_EQ(escape_pointer_token("a~b"), "a~0b");
  // "~1" written literally must not come back as "/": the tilde is escaped first.
  EXPECT_EQ(escape_pointer_token("~1"), "~01");
  EXPECT_EQ(escape_pointer_token(""), "");
}

TEST(JsonPointer, AppendsOneEscapedToken) {
  EXPECT_EQ(pointer_append("", "providers"), "/providers");
  EXPECT_EQ(pointer_append("/providers/0", "X/Y~Z"), "/providers/0/X~1Y~0Z");
  EXPECT_EQ(pointer_append("/a", ""), "/a/");
}

TEST(JsonPointer, AnAppendedPointerFindsTheMemberItNames) {
  const nlohmann::json document = {{"a/b", {{"c~d", 1}}}};
  const auto pointer = parse_pointer(pointer_append(pointer_append("", "a/b"), "c~d"));
  ASSERT_TRUE(pointer);
  const nlohmann::json* value = find_pointer(document, *pointer);
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, 1);
}

TEST(JsonPointer, ParsesOnlyValidPointers) {
  EXPECT_TRUE(parse_pointer(""));
  EXPECT_TRUE(parse_pointer("/answer"));
  EXPECT_TRUE(parse_pointer("/a~1b/0"));
  EXPECT_FALSE(parse_pointer("answer"));  // no leading '/'
  EXPECT_FALSE(parse_pointer("/a~2"));    // '~' must be followed by 0 or 1
  EXPECT_FALSE(parse_pointer("/a~"));
}

TEST(JsonPointer, FindsValuesAndAnswersNullForEveryKindOfMiss) {
  const nlohmann::json document =
      nlohmann::json::parse(R"({"answer": "yes", "items": [10, 20], "n": 3, "": "empty key"})");
  const auto at = [&](const std::string& text) {
    return find_pointer(document, *parse_pointer(text));
  };
  ASSERT_NE(at(""), nullptr);
  EXPECT_EQ(*at(""), document);
  EXPECT_EQ(*at("/answer"), "yes");
  EXPECT_EQ(*at("/items/1"), 20);
  EXPECT_EQ(*at("/"), "empty key");
  EXPECT_EQ(at("/missing"), nullptr);
  EXPECT_EQ(at("/items/2"), nullptr);   // past the end
  EXPECT_EQ(at("/items/-"), nullptr);   // one past the end, never a value
  EXPECT_EQ(at("/items/01"), nullptr);  // leading zero
  EXPECT_EQ(at("/items/x"), nullptr);   // not an index
  EXPECT_EQ(at("/answer/0"), nullptr);  // into a string
  EXPECT_EQ(at("/n/deeper"), nullptr);  // into a number
}

}  // namespace
}  // namespace promptbench::util
