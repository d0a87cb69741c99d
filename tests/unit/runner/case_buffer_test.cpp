// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "runner/case_buffer.hpp"

namespace promptbench {
namespace {

Case row(const std::string& id) {
  Case c;
  c.id = id;
  return c;
}

TEST(CaseBuffer, HandsOnInDatasetOrderWhateverOrderCasesFinish) {
  std::vector<std::size_t> handed;
  CaseBuffer buffer([&](CaseRecord record) { handed.push_back(record.index); });
  for (std::size_t i = 0; i < 3; ++i) {
    buffer.open(i, row("c" + std::to_string(i)), 1);
  }
  buffer.at(2).remaining = 0;
  buffer.flush_finished();
  EXPECT_TRUE(handed.empty()) << "case 2 waits for 0 and 1";
  buffer.at(0).remaining = 0;
  buffer.flush_finished();
  EXPECT_EQ(handed, (std::vector<std::size_t>{0}));
  buffer.at(1).remaining = 0;
  buffer.flush_finished();
  EXPECT_EQ(handed, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(buffer.size(), 0U);
}

TEST(CaseBuffer, AShardsCasesHaveGapsInTheirIndices) {
  // A shard runs cases 3, 7 and 12 of the dataset: each is handed on once it and the ones
  // before it are done, keeping its dataset index.
  std::vector<std::size_t> handed;
  CaseBuffer buffer([&](CaseRecord record) { handed.push_back(record.index); });
  for (std::size_t i : {3, 7, 12}) {
    buffer.open(i, row("c" + std::to_string(i)), 2);
  }
  buffer.at(7).remaining = 0;
  buffer.at(12).remaining = 0;
  buffer.flush_finished();
  EXPECT_TRUE(handed.empty());
  buffer.at(3).remaining = 0;
  buffer.flush_finished();
  EXPECT_EQ(handed, (std::vector<std::size_t>{3, 7, 12}));
}

}  // namespace
}  // namespace promptbench
