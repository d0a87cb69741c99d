// SPDX-License-Identifier: Apache-2.0
// Redaction: registered secrets, their JSON spelling and URL passwords never survive.
#include "promptbench/redact.hpp"

#include <gtest/gtest.h>

namespace promptbench {
namespace {

class Redact : public ::testing::Test {
 protected:
  void SetUp() override { clear_secrets(); }
  void TearDown() override { clear_secrets(); }
};

TEST_F(Redact, ReplacesEveryOccurrenceOfARegisteredSecret) {
  add_secret("sk-abc123");
  EXPECT_EQ(redact("key sk-abc123 and again sk-abc123."), "key <redacted> and again <redacted>.");
  EXPECT_EQ(redact("nothing here"), "nothing here");
}

TEST_F(Redact, ReplacesTheJsonEscapedSpellingToo) {
  add_secret("pa\"ss\\word");
  EXPECT_EQ(redact(R"({"message": "bad key pa\"ss\\word"})"),
            R"({"message": "bad key <redacted>"})");
}

TEST_F(Redact, ReplacesTheLongerOfTwoOverlappingSecretsWhole) {
  add_secret("token");
  add_secret("token-with-more");
  EXPECT_EQ(redact("token-with-more token"), "<redacted> <redacted>");
}

TEST_F(Redact, IgnoresValuesTooShortToBeCredentials) {
  add_secret("abc");
  add_secret("");
  EXPECT_EQ(redact("abc abc"), "abc abc");
}

TEST_F(Redact, RemovesTheUserAndPasswordOfEveryUrl) {
  EXPECT_EQ(redact("cannot connect to https://bob:hunter2@api.example.com:8443/v1 now"),
            "cannot connect to https://<redacted>@api.example.com:8443/v1 now");
  EXPECT_EQ(redact(R"("http://u:p@h/a" and "http://h/b@c")"),
            R"("http://<redacted>@h/a" and "http://h/b@c")");
  EXPECT_EQ(redact("mail me at a@b.c"), "mail me at a@b.c");
  EXPECT_EQ(redact("http://<redacted>@h/"), "http://<redacted>@h/");
}

}  // namespace
}  // namespace promptbench
