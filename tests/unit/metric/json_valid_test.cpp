// SPDX-License-Identifier: Apache-2.0
// Tests of the json_valid metric and of finding JSON in a model's output.
#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"

namespace promptbench {
namespace {

using nlohmann::json;
using testing::param_error;
using testing::value_of;

double valid(const std::string& output, const json& params = json::object()) {
  return value_of("json_valid", params, output, nullptr);
}

TEST(JsonValid, ScoresOneForJson) {
  EXPECT_EQ(valid(R"({"answer": 42})"), 1);
  EXPECT_EQ(valid("  [1, 2, 3]\n"), 1);
  EXPECT_EQ(valid("\"text\""), 1);
  EXPECT_EQ(valid(R"({"name": "Zoë 日本"})"), 1);
}

TEST(JsonValid, ScoresZeroForAnythingElse) {
  EXPECT_EQ(valid(R"({"answer": 42,})"), 0);
  EXPECT_EQ(valid("{'answer': 42}"), 0);
  EXPECT_EQ(valid(R"({"a": 1} and more)"), 0);
  EXPECT_EQ(valid(""), 0);
}

TEST(JsonValid, AcceptsAFencedBlockByDefault) {
  EXPECT_EQ(valid("```json\n{\"answer\": 42}\n```"), 1);
  EXPECT_EQ(valid("Here you go:\n```\n[1, 2]\n```\nAnything else?"), 1);
  EXPECT_EQ(valid("```json\nnot json\n```\n```json\n{}\n```"), 1);
}

TEST(JsonValid, RejectsBrokenOrUnclosedFences) {
  EXPECT_EQ(valid("```json\n{\"answer\": 42}"), 0);
  EXPECT_EQ(valid("```json {\"a\": 1}```"), 0);
}

TEST(JsonValid, RequiresBareJsonWithoutAllowFence) {
  EXPECT_EQ(valid("```json\n{\"answer\": 42}\n```", {{"allow_fence", false}}), 0);
  EXPECT_EQ(valid("{\"answer\": 42}", {{"allow_fence", false}}), 1);
}

TEST(JsonValid, RejectsANonBooleanAllowFence) {
  EXPECT_EQ(param_error("json_valid", {{"allow_fence", "yes"}}),
            "allow_fence: expected true or false, got string");
}

}  // namespace
}  // namespace promptbench
