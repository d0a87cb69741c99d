// SPDX-License-Identifier: Apache-2.0
// A framed body is the bytes nlohmann would dump for the whole object.
#include "provider/body_frame.hpp"

#include <gtest/gtest.h>

namespace promptbench {
namespace {

const nlohmann::json kMessages = nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}});

TEST(BodyFrame, WritesTheMembersInNlohmannsOrder) {
  // Keys on both sides of "messages", nested values, and one that sorts by bytes ("Z" < "a").
  const nlohmann::json fixed = {{"model", "m"},
                                {"temperature", 0.25},
                                {"max_tokens", 16},
                                {"Z", true},
                                {"a", {{"y", 1}, {"x", nullptr}}},
                                {"stop", {"\n", "END"}}};
  const BodyFrame frame(fixed, {"messages"});
  nlohmann::json whole = fixed;
  whole["messages"] = kMessages;
  EXPECT_EQ(frame.build({kMessages.dump()}), whole.dump());
}

TEST(BodyFrame, ARequestValueWinsOverAFixedMemberOfTheSameName) {
  const nlohmann::json fixed = {{"model", "m"}, {"messages", "from params"}};
  const BodyFrame frame(fixed, {"messages"});
  EXPECT_EQ(frame.build({kMessages.dump()}),
            (nlohmann::json{{"model", "m"}, {"messages", kMessages}}).dump());
}

TEST(BodyFrame, AnOmittedSlotKeepsTheFixedMemberOrNothing) {
  const BodyFrame with_fixed({{"model", "m"}, {"system", "from params"}}, {"messages", "system"});
  EXPECT_EQ(
      with_fixed.build({kMessages.dump(), std::nullopt}),
      (nlohmann::json{{"model", "m"}, {"system", "from params"}, {"messages", kMessages}}).dump());
  EXPECT_EQ(
      with_fixed.build({kMessages.dump(), R"("per case")"}),
      (nlohmann::json{{"model", "m"}, {"system", "per case"}, {"messages", kMessages}}).dump());

  const BodyFrame without({{"model", "m"}}, {"messages", "system"});
  EXPECT_EQ(without.build({kMessages.dump(), std::nullopt}),
            (nlohmann::json{{"model", "m"}, {"messages", kMessages}}).dump());
}

TEST(BodyFrame, AnEmptyFrameHoldsOnlyTheRequestsMembers) {
  const BodyFrame frame(nlohmann::json::object(), {"messages"});
  EXPECT_EQ(frame.build({"[]"}), R"({"messages":[]})");
  EXPECT_EQ(BodyFrame(nlohmann::json::object(), {"a"}).build({std::nullopt}), "{}");
}

}  // namespace
}  // namespace promptbench
