// SPDX-License-Identifier: Apache-2.0
// The simdjson fast path reads what the full nlohmann reader reads, or declines.
#include "provider/plain_answer.hpp"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace promptbench {
namespace {

using nlohmann::json;

const std::string kPlain =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"demo",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"negative"},)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":95,"completion_tokens":1,)"
    R"("total_tokens":96}})";

/// What the provider's nlohmann reader makes of a plain answer, by its rules (nlohmann
/// keeps the last of duplicate keys; integer members are nlohmann integers).
std::optional<PlainChatAnswer> tree_reading(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return std::nullopt;
  }
  const auto choices = parsed.find("choices");
  if (choices == parsed.end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object() || !(*choices)[0].contains("message")) {
    return std::nullopt;
  }
  const json& choice = (*choices)[0];
  const json& message = choice["message"];
  if (!message.is_object()) {
    return std::nullopt;
  }
  if (const auto calls = message.find("tool_calls");
      calls != message.end() && !calls->is_null() && !(calls->is_array() && calls->empty())) {
    return std::nullopt;
  }
  const auto content = message.find("content");
  if (content == message.end() || !(content->is_string() || content->is_null())) {
    return std::nullopt;
  }
  PlainChatAnswer answer;
  answer.content = content->is_string() ? content->get<std::string>() : "";
  if (const auto finish = choice.find("finish_reason");
      finish != choice.end() && finish->is_string()) {
    answer.finish_reason = finish->get<std::string>();
  }
  if (const auto usage = parsed.find("usage"); usage != parsed.end() && usage->is_object()) {
    for (auto [key, target] : {std::pair{"prompt_tokens", &answer.usage.prompt_tokens},
                               std::pair{"completion_tokens", &answer.usage.completion_tokens}}) {
      const auto value = usage->find(key);
      if (value != usage->end() && value->is_number_integer() && value->get<std::int64_t>() >= 0) {
        *target = value->get<std::int64_t>();
      }
    }
  }
  return answer;
}

void expect_same(const PlainChatAnswer& fast, const PlainChatAnswer& tree,
                 const std::string& body) {
  EXPECT_EQ(fast.content, tree.content) << body;
  EXPECT_EQ(fast.finish_reason, tree.finish_reason) << body;
  EXPECT_EQ(fast.usage.prompt_tokens, tree.usage.prompt_tokens) << body;
  EXPECT_EQ(fast.usage.completion_tokens, tree.usage.completion_tokens) << body;
}

TEST(PlainChatAnswer, ReadsTheCommonShape) {
  const auto answer = read_plain_chat_answer(kPlain);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->content, "negative");
  EXPECT_EQ(answer->finish_reason, "stop");
  EXPECT_EQ(answer->usage.prompt_tokens, 95);
  EXPECT_EQ(answer->usage.completion_tokens, 1);
}

TEST(PlainChatAnswer, ANegativeTokenCountIsUnknownUsage) {
  const auto answer = read_plain_chat_answer(
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":-1,"completion_tokens":0}})");
  ASSERT_TRUE(answer);
  EXPECT_FALSE(answer->usage.prompt_tokens.has_value());
  EXPECT_EQ(answer->usage.completion_tokens, 0);
}

TEST(PlainChatAnswer, ReadsEdgeCasesAsTheTreeDoes) {
  const std::vector<std::string> bodies = {
      R"({"choices":[{"message":{"content":null}}]})",
      R"({"choices":[{"message":{"content":"a\"b\\c\n\u00e9\ud83d\ude00","tool_calls":[]}}]})",
      R"({"choices":[{"message":{"content":"x","tool_calls":null},"finish_reason":7}]})",
      R"({"choices":[{"message":{"content":"first"},"message":{"content":"last"}}]})",
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1.0,"completion_tokens":-4}})",
      R"({"choices":[{"message":{"content":"x"}}],"usage":"none"})",
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"9"}})",
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":9223372036854775807}})",
      R"( {"choices":[{"message":{"content":"x"}},{"message":5}]} )",
  };
  for (const std::string& body : bodies) {
    const auto fast = read_plain_chat_answer(body);
    const auto tree = tree_reading(body);
    ASSERT_TRUE(fast) << body;
    ASSERT_TRUE(tree) << body;
    expect_same(*fast, *tree, body);
  }
}

TEST(PlainChatAnswer, LeavesEveryOtherShapeToTheFullReader) {
  const std::vector<std::string> bodies = {
      "",
      "not json",
      R"({"choices":[]})",
      R"({"choices":[{"message":{"content":"x"}}]} trailing)",
      R"([{"choices":[{"message":{"content":"x"}}]}])",
      R"({"choices":[{"message":{"role":"assistant"}}]})",
      R"({"choices":[{"message":{"content":[{"type":"text","text":"parts"}]}}]})",
      R"({"choices":[{"message":{"content":"x","tool_calls":[{"function":{"name":"f"}}]}}]})",
      R"({"choices":[{"message":"text"}]})",
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":18446744073709551615}})",
      R"({"choices":[{"message":{"content":"x"}}],"n":100000000000000000000000})",
      "{\"choices\":[{\"message\":{\"content\":\"bad \xff byte\"}}]}",
  };
  for (const std::string& body : bodies) {
    EXPECT_FALSE(read_plain_chat_answer(body)) << body;
  }
}

TEST(PlainChatAnswer, LeavesDeepBodiesToTheFullReaderAndItsNestingLimit) {
  std::string deep = R"({"choices":[{"message":{"content":"x"}}],"extra":)";
  deep += std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(read_plain_chat_answer(deep));
  EXPECT_TRUE(tree_reading(deep));
  // A long answer after the deep one: the parser's buffers grew, its depth limit did not.
  std::string long_answer =
      R"({"choices":[{"message":{"content":")" + std::string(100000, 'a') + R"("}}]})";
  EXPECT_TRUE(read_plain_chat_answer(long_answer));
  EXPECT_FALSE(read_plain_chat_answer(deep));
}

TEST(PlainChatAnswer, AgreesWithTheTreeOnMutatedBodies) {
  // Byte flips, insertions and deletions of a plain answer: whenever the fast path accepts
  // a body, the tree must read the very same values from it.
  std::mt19937 random(1202);
  const std::string alphabet = "{}[]\":,0123456789.eE-+ \\ntrufalsn\x80\xc3\xa9";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string body = kPlain;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int edit = 0; edit < edits; ++edit) {
      const std::size_t at = random() % body.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          body[at] = c;
          break;
        case 1:
          body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          body.erase(at, 1);
      }
    }
    const auto fast = read_plain_chat_answer(body);
    if (!fast) {
      continue;
    }
    ++accepted;
    const auto tree = tree_reading(body);
    ASSERT_TRUE(tree) << body;
    expect_same(*fast, *tree, body);
  }
  EXPECT_GT(accepted, 1000);  // the comparison saw many accepted bodies, not none
}

}  // namespace
}  // namespace promptbench
