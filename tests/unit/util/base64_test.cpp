// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "util/base64.hpp"
#include "util/sha256.hpp"

namespace promptbench::util {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Base64, BinaryAndLongInputHaveNoLineBreaks) {
  EXPECT_EQ(base64(std::string("\x00\xff\xfe", 3)), "AP/+");
  // Longer than one of the encoder's pieces: the pieces join without padding between them.
  const std::string long_input(7 * 1024 * 1024 + 1, 'a');
  const std::string encoded = base64(long_input);
  EXPECT_EQ(encoded.size(), (long_input.size() + 2) / 3 * 4);
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
  EXPECT_EQ(encoded.find('='), encoded.size() - 1);  // 7 MiB + 1 = 3k + 2 bytes: one '='

  EXPECT_EQ(encoded.substr(0, 8), "YWFhYWFh");
}

TEST(Sha256, Base64DigestIsWhatAContentSecurityPolicyHashNames) {
  // `printf 'abc' | openssl dgst -sha256 -binary | base64`
  EXPECT_EQ(sha256_base64("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace promptbench::util
